using System;
using System.IO;
using System.Linq;
using HotDb.Upgrade.Remote;
using Xunit;

namespace HotDb.Upgrade.Tests
{
    // Keys, fingerprints and hashed lines below were made by OpenSSH's ssh-keygen (-l, -H): an independent oracle.
    public class KnownHostsTests
    {
        private const string Ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIF6SfZnsrgFpQjLrHf7YDA9VPXF2qLatWpEVv1GzIdj9";
        private const string Ed25519Fingerprint = "SHA256:9ZGSE3YcS0pj9pAwfNQDCORDORUMRB2XvUHX6ARpdak";
        private const string Ecdsa = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCi4wc61SE2o5YxZP2meVlDTSSwSRTSiCHseg9sRSA/SZkbXJojRDXZLA6PsnYBXLJP86Nq7um4chag/DP6+XPs=";
        private const string EcdsaFingerprint = "SHA256:luFTf24jab6EWMtdJDFTUb0wXZItxjQCixOgiCM5lU4";
        private const string Rsa = "AAAAB3NzaC1yc2EAAAADAQABAAABAQC262idHTLo0IdUONBhX/OVK8/+Q1YrAzWv3NyPYrQPG924oXof1msb1q7VEo2l8pz0O6Imm+lckAtIdQRVKUAqaDvejkSxvj+C0wCAqbRLwAeYTrjR2Wl6eDJTVV7/fs4InpUwKs73++O4YQQddwxJyl/3Eb0H4lpPPfxBdAMYaPkUtkrCTGWTCZnSCYjrs743+Plqq4zvDWbHNxB0qL0oOcIJcFqzQ3Jxzr1Qr6oQSoqFA6nrnLR1lw66O6ePrRb4oW0vl4m/33UATll3EqzY4wDPE49hZt4/S+NZ0uOaRjjMJaPftCiCVNUMQ8peBn6HPs3si9AD5RPWobg//kRT";
        private const string RsaFingerprint = "SHA256:zSaa/UdMQDZYWhiqssiB98lVTYns+bDNYeIWbTO3cR0";

        // ssh-keygen -H of "db1.example.com ssh-ed25519 ..." and "[db2.example.com]:2222 ecdsa-sha2-nistp256 ...".
        private const string HashedDb1 = "|1|7OqFpld1R0HMcrGYbGqT0Qn9tls=|e9vgRQvZh3mlMyJOSVCnRQoolYU=";
        private const string HashedDb2Port2222 = "|1|hA37Up7bhh9wbk7T++fPGQQP0+E=|rTylIO3Bn4/RdilBcYhFip6SL2E=";

        private static byte[] Key(string base64) => Convert.FromBase64String(base64);

        [Theory]
        [InlineData(Ed25519, "ssh-ed25519", Ed25519Fingerprint)]
        [InlineData(Ecdsa, "ecdsa-sha2-nistp256", EcdsaFingerprint)]
        [InlineData(Rsa, "ssh-rsa", RsaFingerprint)]
        public void Fingerprints_match_ssh_keygen(string key, string type, string fingerprint)
        {
            Assert.Equal(type, SshFingerprint.KeyTypeOf(Key(key)));
            Assert.Equal(fingerprint, SshFingerprint.Sha256(Key(key)));
        }

        [Fact]
        public void Plain_entries_with_several_key_types_comments_and_blank_lines()
        {
            var file = KnownHostsFile.Parse(
                "# fleet hosts\n\n" +
                $"db1.example.com,10.0.0.1 ssh-ed25519 {Ed25519} admin@laptop\n" +
                $"db1.example.com ecdsa-sha2-nistp256 {Ecdsa}\r\n" +
                $"   db1.example.com\tssh-rsa {Rsa}   \n" +
                "not a valid line\n" +
                $"db3.example.com ssh-rsa {Ed25519}\n"); // type does not match the blob: skipped
            Assert.Equal(3, file.Entries.Count);
            Assert.Equal("admin@laptop", file.Entries[0].Comment);
            Assert.Equal(new[] { "ecdsa-sha2-nistp256", "ssh-ed25519", "ssh-rsa" }, file.KnownKeyTypes("db1.example.com", 22).OrderBy(t => t));
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("db1.example.com", 22, Key(Rsa)).Status);
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("10.0.0.1", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("DB1.Example.COM", 22, Key(Ecdsa)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db3.example.com", 22, Key(Ed25519)).Status);
        }

        [Fact]
        public void Hashed_entries_written_by_openssh_match_their_host_and_port_only()
        {
            var file = KnownHostsFile.Parse($"{HashedDb1} ssh-ed25519 {Ed25519}\n{HashedDb2Port2222} ecdsa-sha2-nistp256 {Ecdsa}\n");
            Assert.All(file.Entries, e => Assert.True(e.IsHashed));
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("db1.example.com", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("db2.example.com", 2222, Key(Ecdsa)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db2.example.com", 22, Key(Ecdsa)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db1.example.org", 22, Key(Ed25519)).Status);
        }

        [Fact]
        public void Non_default_ports_use_the_bracketed_form()
        {
            Assert.Equal("db1", KnownHostsFile.HostToken("db1", 22));
            Assert.Equal("[db1]:2222", KnownHostsFile.HostToken("db1", 2222));
            var file = KnownHostsFile.Parse($"[db1]:2222 ssh-ed25519 {Ed25519}\n");
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("db1", 2222, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db1", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db1", 2223, Key(Ed25519)).Status);
        }

        [Fact]
        public void A_different_key_of_a_known_type_is_changed_and_names_both_fingerprints()
        {
            var file = KnownHostsFile.Parse($"db1 ssh-ed25519 {Ed25519}\n", "/home/dba/.ssh/known_hosts");
            var presented = SshKeyBlob("ssh-ed25519", 32, 7);
            var check = file.Verify("db1", 22, presented);
            Assert.Equal(HostKeyStatus.Changed, check.Status);
            Assert.Equal(new[] { Ed25519Fingerprint }, check.ExpectedFingerprints);
            Assert.Equal(SshFingerprint.Sha256(presented), check.Fingerprint);
            var message = new HostKeyVerificationException(check).Message;
            Assert.Contains(Ed25519Fingerprint, message);
            Assert.Contains(check.Fingerprint, message);
            Assert.Contains("CHANGED", message);
            Assert.Contains("/home/dba/.ssh/known_hosts", message);
        }

        [Fact]
        public void Wildcards_and_negations_follow_openssh()
        {
            var file = KnownHostsFile.Parse($"*.db.example.com,!bad.db.example.com,db?? ssh-ed25519 {Ed25519}\n");
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("n1.db.example.com", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("db01", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("bad.db.example.com", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db1", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db.example.com", 22, Key(Ed25519)).Status);
        }

        [Fact]
        public void A_revoked_key_is_refused_even_when_also_listed_as_trusted()
        {
            var file = KnownHostsFile.Parse($"@revoked * ssh-ed25519 {Ed25519}\ndb1 ssh-ed25519 {Ed25519}\ndb1 ssh-rsa {Rsa}\n");
            Assert.Equal(KnownHostMarker.Revoked, file.Entries[0].Marker);
            Assert.Equal(HostKeyStatus.Revoked, file.Verify("db1", 22, Key(Ed25519)).Status);
            Assert.Equal(HostKeyStatus.Trusted, file.Verify("db1", 22, Key(Rsa)).Status);
            Assert.DoesNotContain("ssh-ed25519", file.KnownKeyTypes("db2", 22));
        }

        [Fact]
        public void A_cert_authority_key_does_not_trust_a_plain_host_key()
        {
            var file = KnownHostsFile.Parse($"@cert-authority *.example.com ssh-ed25519 {Ed25519}\n@unknown-marker db1 ssh-rsa {Rsa}\n");
            Assert.Single(file.Entries);
            Assert.Equal(KnownHostMarker.CertAuthority, file.Entries[0].Marker);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db1.example.com", 22, Key(Ed25519)).Status);
            Assert.Empty(file.KnownKeyTypes("db1.example.com", 22));
        }

        [Fact]
        public void Appending_creates_a_private_file_openssh_can_read_back()
        {
            var directory = Path.Combine(Path.GetTempPath(), "hotdb-kh-" + Guid.NewGuid().ToString("N"));
            var path = Path.Combine(directory, "known_hosts");
            try
            {
                KnownHostsFile.Append(path, "db1", 2222, Key(Ecdsa));
                File.AppendAllText(path, "# no trailing newline");
                KnownHostsFile.Append(path, "db1", 22, Key(Ed25519));
                Assert.Equal($"[db1]:2222 ecdsa-sha2-nistp256 {Ecdsa}\n# no trailing newline\ndb1 ssh-ed25519 {Ed25519}\n", File.ReadAllText(path));
                var file = KnownHostsFile.Load(path);
                Assert.Equal(HostKeyStatus.Trusted, file.Verify("db1", 2222, Key(Ecdsa)).Status);
                Assert.Equal(HostKeyStatus.Trusted, file.Verify("db1", 22, Key(Ed25519)).Status);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
                }
            }
            finally
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
        }

        [Fact]
        public void A_missing_file_knows_no_host()
        {
            var file = KnownHostsFile.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")));
            Assert.Empty(file.Entries);
            Assert.Equal(HostKeyStatus.Unknown, file.Verify("db1", 22, Key(Ed25519)).Status);
        }

        // A syntactically valid key blob of a type, with filler bytes (enough for a distinct fingerprint).
        private static byte[] SshKeyBlob(string type, int length, byte fill)
        {
            var name = System.Text.Encoding.ASCII.GetBytes(type);
            var blob = new byte[4 + name.Length + 4 + length];
            blob[3] = (byte)name.Length;
            name.CopyTo(blob, 4);
            blob[4 + name.Length + 3] = (byte)length;
            for (var i = 0; i < length; i++) blob[8 + name.Length + i] = fill;
            return blob;
        }
    }
}
