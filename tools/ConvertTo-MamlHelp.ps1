<#
.SYNOPSIS
    Turns the PlatyPS-format markdown pages in docs/ into the MAML file Get-Help reads.
.DESCRIPTION
    PlatyPS itself cannot be installed here (no PowerShell Gallery), so the build converts the sections
    PlatyPS writes (SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS, OUTPUTS, NOTES, RELATED LINKS) itself.
    The syntax comes from the page's SYNTAX code blocks (one block per parameter set, lines joined);
    Help.Tests.ps1 checks it against the cmdlet's real parameter sets.
#>
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Get-Section([string[]] $Lines, [string] $Heading, [int] $Level) {
    $marker = ('#' * $Level) + ' '
    $start = [array]::IndexOf($Lines, "$marker$Heading")
    if ($start -lt 0) { return @() }
    $end = $start + 1
    while ($end -lt $Lines.Count -and -not ($Lines[$end] -match "^#{1,$Level} ")) { $end++ }
    if ($end -le $start + 1) { return @() }
    return $Lines[($start + 1)..($end - 1)]
}

function Get-Subsection([string[]] $Lines) {
    # Splits a section into (title, body) pairs on '### ' headings.
    $current = $null
    foreach ($line in $Lines) {
        if ($line -match '^### (.+)$') {
            if ($current) { [pscustomobject]$current }
            $current = @{ Title = $Matches[1].Trim(); Body = [System.Collections.Generic.List[string]]::new() }
        }
        elseif ($current) { $current.Body.Add($line) }
    }
    if ($current) { [pscustomobject]$current }
}

function Get-Prose([string[]] $Lines) {
    # One paragraph per blank-line-separated block, per bullet item (`- ` / `* ` / `1. `), and per code fence
    # (its lines kept as they are), so Get-Help does not run lists and code into one paragraph. A ```yaml fence is
    # PlatyPS's parameter metadata, written to MAML attributes instead.
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    $fence = $null
    $metadata = $false
    $flush = {
        if ($current.Count) { $paragraphs.Add((($current -join ' ') -replace '\s+', ' ').Trim()) }
        $current.Clear()
    }
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') {
            if ($null -eq $fence) {
                & $flush
                $fence = [System.Collections.Generic.List[string]]::new()
                $metadata = $line -match '^\s*```yaml'
            }
            else {
                if ($fence.Count -and -not $metadata) { $paragraphs.Add(($fence -join "`n")) }
                $fence = $null
            }
            continue
        }
        if ($null -ne $fence) { $fence.Add($line); continue }
        if ($line -match '^\s*$') { & $flush; continue }
        if ($line -match '^\s*([-*]|\d+\.)\s+') { & $flush }
        $current.Add($line.Trim())
    }
    & $flush
    @($paragraphs | Where-Object { $_ })
}

function Get-SyntaxLine([string[]] $Lines, [string] $Name) {
    # PlatyPS wraps a long parameter set over several lines inside one code block: one block is one set.
    $block = $null
    foreach ($line in $Lines) {
        if ($line -match '^```') {
            if ($null -eq $block) { $block = [System.Collections.Generic.List[string]]::new() }
            else {
                $joined = (($block -join ' ') -replace '\s+', ' ').Trim()
                if ($joined -like "$Name*") { $joined }
                $block = $null
            }
        }
        elseif ($null -ne $block) { $block.Add($line) }
    }
}

function Get-RelatedLink([string[]] $Lines) {
    # Entries are `[Name](url)`, `[Name]()` or a bare name, one per line.
    foreach ($line in $Lines) {
        $text = $line.Trim() -replace '^[-*]\s+', ''
        if (-not $text) { continue }
        if ($text -match '^\[([^\]]+)\]\(([^)]*)\)$') { $title, $uri = $Matches[1], $Matches[2] }
        else { $title, $uri = $text, '' }
        # A relative page link (Other-Cmdlet.md) means nothing to Get-Help; -Online only follows absolute URLs.
        if ($uri -notmatch '^https?://') { $uri = '' }
        [pscustomobject]@{ Title = $title; Uri = $uri }
    }
}

function Add-Para($Writer, [string[]] $Paragraphs) {
    foreach ($paragraph in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $ns.maml, $paragraph) }
}

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$writer = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
try {
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($page in Get-ChildItem $DocsPath -Filter '*-*.md' | Sort-Object Name) {
        $lines = (Get-Content $page.FullName) -replace "`r$", ''
        $name = $page.BaseName
        $verb, $noun = $name -split '-', 2
        $writer.WriteStartElement('command', 'command', $ns.command)
        foreach ($prefix in 'maml', 'dev') { $writer.WriteAttributeString('xmlns', $prefix, $null, $ns[$prefix]) }

        $writer.WriteStartElement('command', 'details', $ns.command)
        $writer.WriteElementString('command', 'name', $ns.command, $name)
        $writer.WriteElementString('command', 'verb', $ns.command, $verb)
        $writer.WriteElementString('command', 'noun', $ns.command, $noun)
        $writer.WriteStartElement('maml', 'description', $ns.maml)
        Add-Para $writer (Get-Prose (Get-Section $lines 'SYNOPSIS' 2))
        $writer.WriteEndElement(); $writer.WriteEndElement()

        $writer.WriteStartElement('maml', 'description', $ns.maml)
        Add-Para $writer (Get-Prose (Get-Section $lines 'DESCRIPTION' 2))
        $writer.WriteEndElement()

        $parameters = @(Get-Subsection (Get-Section $lines 'PARAMETERS' 2) | Where-Object Title -NE 'CommonParameters')
        $types = @{}
        foreach ($parameter in $parameters) {
            $yaml = @{}
            $inYaml = $false
            foreach ($line in $parameter.Body) {
                if ($line -match '^```yaml') { $inYaml = $true; continue }
                if ($line -match '^```') { $inYaml = $false; continue }
                if ($inYaml -and $line -match '^([A-Za-z ]+):\s*(.*)$') { $yaml[$Matches[1].Trim()] = $Matches[2].Trim() }
            }
            $parameter | Add-Member -NotePropertyName Yaml -NotePropertyValue $yaml
            $types[$parameter.Title.TrimStart('-')] = "$($yaml['Type'])"
        }

        # SYNTAX: one syntax item per parameter set (one code block each in the page).
        $writer.WriteStartElement('command', 'syntax', $ns.command)
        foreach ($syntaxLine in Get-SyntaxLine (Get-Section $lines 'SYNTAX' 2) $name) {
            $writer.WriteStartElement('command', 'syntaxItem', $ns.command)
            $writer.WriteElementString('maml', 'name', $ns.maml, $name)
            foreach ($match in [regex]::Matches($syntaxLine, '(\[?)-(\w+)(\]?)')) {
                $parameterName = $match.Groups[2].Value
                if (-not $types.ContainsKey($parameterName)) { continue }
                $opened = $match.Groups[1].Value -eq '['
                $positionalRequired = $opened -and $match.Groups[3].Value -eq ']' -and $syntaxLine.Substring($match.Index + $match.Length).StartsWith(' <')
                $writer.WriteStartElement('command', 'parameter', $ns.command)
                $writer.WriteAttributeString('required', (-not $opened -or $positionalRequired).ToString().ToLowerInvariant())
                $writer.WriteElementString('maml', 'name', $ns.maml, $parameterName)
                if ($types[$parameterName] -ne 'SwitchParameter') {
                    $writer.WriteElementString('command', 'parameterValue', $ns.command, $types[$parameterName])
                }
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'parameters', $ns.command)
        foreach ($parameter in $parameters) {
            $yaml = $parameter.Yaml
            $writer.WriteStartElement('command', 'parameter', $ns.command)
            $writer.WriteAttributeString('required', ("$($yaml['Required'])" -eq 'True').ToString().ToLowerInvariant())
            $writer.WriteAttributeString('pipelineInput', "$($yaml['Accept pipeline input'])")
            $writer.WriteAttributeString('position', $(if ($yaml['Position'] -and $yaml['Position'] -ne 'Named') { $yaml['Position'] } else { 'named' }))
            $writer.WriteAttributeString('aliases', $(if ($yaml['Aliases']) { $yaml['Aliases'] } else { 'none' }))
            $writer.WriteElementString('maml', 'name', $ns.maml, $parameter.Title.TrimStart('-'))
            $writer.WriteStartElement('maml', 'description', $ns.maml)
            Add-Para $writer (Get-Prose $parameter.Body)
            $writer.WriteEndElement()
            $writer.WriteElementString('command', 'parameterValue', $ns.command, "$($yaml['Type'])")
            $writer.WriteStartElement('dev', 'type', $ns.dev)
            $writer.WriteElementString('maml', 'name', $ns.maml, "$($yaml['Type'])")
            $writer.WriteEndElement()
            $writer.WriteElementString('dev', 'defaultValue', $ns.dev, "$($yaml['Default value'])")
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        foreach ($kind in @(@('INPUTS', 'inputTypes', 'inputType'), @('OUTPUTS', 'returnValues', 'returnValue'))) {
            $writer.WriteStartElement('command', $kind[1], $ns.command)
            foreach ($item in Get-Subsection (Get-Section $lines $kind[0] 2)) {
                $writer.WriteStartElement('command', $kind[2], $ns.command)
                $writer.WriteStartElement('dev', 'type', $ns.dev)
                $writer.WriteElementString('maml', 'name', $ns.maml, $item.Title)
                $writer.WriteEndElement()
                $writer.WriteStartElement('maml', 'description', $ns.maml)
                Add-Para $writer (Get-Prose $item.Body)
                $writer.WriteEndElement(); $writer.WriteEndElement()
            }
            $writer.WriteEndElement()
        }

        $notes = @(Get-Prose (Get-Section $lines 'NOTES' 2))
        $writer.WriteStartElement('maml', 'alertSet', $ns.maml)
        $writer.WriteStartElement('maml', 'alert', $ns.maml)
        Add-Para $writer $notes
        $writer.WriteEndElement(); $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'examples', $ns.command)
        foreach ($example in Get-Subsection (Get-Section $lines 'EXAMPLES' 2)) {
            $code = [System.Collections.Generic.List[string]]::new()
            $remarks = [System.Collections.Generic.List[string]]::new()
            $inCode = $false
            foreach ($line in $example.Body) {
                if ($line -match '^```') { $inCode = -not $inCode; continue }
                if ($inCode) { $code.Add($line) } else { $remarks.Add($line) }
            }
            $writer.WriteStartElement('command', 'example', $ns.command)
            $writer.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $($example.Title) --------------------------")
            $writer.WriteElementString('dev', 'code', $ns.dev, ($code -join "`n"))
            $writer.WriteStartElement('dev', 'remarks', $ns.dev)
            Add-Para $writer (Get-Prose $remarks)
            $writer.WriteEndElement(); $writer.WriteEndElement()
        }
        $writer.WriteEndElement()

        $writer.WriteStartElement('command', 'relatedLinks', $ns.command)
        foreach ($link in Get-RelatedLink (Get-Section $lines 'RELATED LINKS' 2)) {
            $writer.WriteStartElement('maml', 'navigationLink', $ns.maml)
            $writer.WriteElementString('maml', 'linkText', $ns.maml, $link.Title)
            $writer.WriteElementString('maml', 'uri', $ns.maml, $link.Uri)
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
}
finally { $writer.Dispose() }
