# The benchmark's files (tests/bench) without the lab: the manual scripts parse, the bench script parses, and
# build.ps1 runs the benchmark only for -Task Bench, never as part of -Task Test.
Describe 'Benchmark files' -Tag Module {
    BeforeAll {
        $script:repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $script:benchFolder = Join-Path $repo 'tests/bench'
        function script:Get-ScriptAst([string] $Path) {
            $errors = $null
            $ast = [Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$errors)
            [pscustomobject]@{ Ast = $ast; Errors = @($errors) }
        }
        # The text of one clause of build.ps1's switch ($Task), by its label.
        function script:Get-TaskClause([string] $Label) {
            $ast = (Get-ScriptAst (Join-Path $repo 'build.ps1')).Ast
            $switch = $ast.Find({ param($node) $node -is [Management.Automation.Language.SwitchStatementAst] -and $node.Condition.Extent.Text -match '\$Task' }, $true)
            $clause = $switch.Clauses | Where-Object { $_.Item1.Extent.Text.Trim("'") -eq $Label }
            if ($clause) { $clause.Item2.Extent.Text }
        }
    }

    It 'has a manual script for each upgrade mode, and every manual script passes bash -n' {
        foreach ($name in 'single-node.sh', 'master-slave-online.sh', 'cluster-online.sh') { Join-Path $benchFolder "manual/$name" | Should -Exist }
        $scripts = @(Get-ChildItem (Join-Path $benchFolder 'manual') -Filter '*.sh')
        $scripts.Count | Should -BeGreaterOrEqual 1
        foreach ($script in $scripts) {
            $output = & bash -n $script.FullName 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "$($script.Name): $output"
        }
    }

    It 'measures every upgrade mode: a -Part value and one comparison per mode, each manual script driven by the bench' {
        $ast = (Get-ScriptAst (Join-Path $benchFolder 'Invoke-HotDbBench.ps1')).Ast
        $part = $ast.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -eq 'Part' }
        $part | Should -Not -BeNullOrEmpty
        $choices = @($part.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateSet' } | ForEach-Object { $_.PositionalArguments.Value })
        # The comparisons: calls of Add-UpgradeComparison, by their -ManualScript argument.
        $calls = @($ast.FindAll({ param($node) $node -is [Management.Automation.Language.CommandAst] -and $node.GetCommandName() -eq 'Add-UpgradeComparison' }, $true))
        $manualScripts = foreach ($call in $calls) {
            $elements = $call.CommandElements
            for ($i = 0; $i -lt $elements.Count - 1; $i++) {
                if ($elements[$i] -is [Management.Automation.Language.CommandParameterAst] -and $elements[$i].ParameterName -eq 'ManualScript') { $elements[$i + 1].Value }
            }
        }
        foreach ($mode in @{ Part = 'SingleNode'; Script = 'single-node.sh' }, @{ Part = 'MasterSlave'; Script = 'master-slave-online.sh' }, @{ Part = 'Cluster'; Script = 'cluster-online.sh' }) {
            $choices | Should -Contain $mode.Part
            $manualScripts | Should -Contain $mode.Script -Because "the $($mode.Part) comparison runs $($mode.Script)"
        }
        # No manual script sits unused: each is driven by the bench or sourced by one that is (a shared procedure).
        $manual = @(Get-ChildItem (Join-Path $benchFolder 'manual') -Filter '*.sh')
        $sourced = @($manual | Where-Object Name -In $manualScripts | ForEach-Object {
                [regex]::Matches((Get-Content $_.FullName -Raw), '(?m)^\. "\$\(dirname "\$0"\)/([\w.-]+\.sh)"') | ForEach-Object { $_.Groups[1].Value }
            })
        foreach ($script in $manual) { @($manualScripts) + $sourced | Should -Contain $script.Name }
        $sourced | Should -Contain 'configdb-upgrade.sh' -Because 'every mode runs the manual''s ConfigDB upgrade (2.1.2-2.1.3) from one place'
    }

    It 'has bench scripts that parse' {
        foreach ($name in 'Invoke-HotDbBench.ps1', 'Measure-HotDbBenchMemory.ps1') {
            $parsed = Get-ScriptAst (Join-Path $benchFolder $name)
            $parsed.Errors | Should -BeNullOrEmpty -Because $name
        }
    }

    It 'measures Test-HotDbUpgradeSql alone on a script it generates' {
        # The same pwsh in a fresh process, as Invoke-HotDbBench runs it: `dotnet pwsh` runs pwsh.dll under dotnet.
        $runner = [Environment]::ProcessPath
        $arguments = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $benchFolder 'Measure-HotDbBenchMemory.ps1'),
            '-Operation', 'Sql', '-ModulePath', $env:HOTDB_UPGRADE_MODULE, '-SqlSizeMB', '1')
        if ((Split-Path $runner -Leaf) -like 'dotnet*') { $arguments = @(Join-Path $PSHOME 'pwsh.dll') + $arguments }
        $output = @(& $runner @arguments 2>&1 | ForEach-Object { "$_" })
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output[-2] | Should -Match '^Test-HotDbUpgradeSql on a 1 MB script: \d{4,} statements, pwsh peak [\d,]+ MB'
        $fields = $output[-1].Split(' ')
        [long]$fields[1] | Should -BeGreaterOrEqual ([long]$fields[0]) -Because 'the peak covers the module load'
        [long]$fields[0] | Should -BeGreaterThan 0
    }

    It 'runs the benchmark for -Task Bench and not for -Task Test' {
        Get-TaskClause 'Bench' | Should -Match 'Invoke-HotDbBench\.ps1'
        $test = Get-TaskClause 'Test'
        $test | Should -Not -BeNullOrEmpty
        $test | Should -Not -Match 'bench'
        # Pester runs tests/pester only: nothing in tests/bench is a Pester suite.
        @(Get-ChildItem $benchFolder -Recurse -Filter '*.Tests.ps1') | Should -BeNullOrEmpty
    }
}
