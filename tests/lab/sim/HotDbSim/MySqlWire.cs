using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace HotDbSim;

/// <summary>A query answer: a result set, an OK packet or an ERR packet.</summary>
public abstract record SqlReply
{
    public static SqlReply Ok(long affected = 0, string? info = null) => new OkReply(affected, info);
    public static SqlReply Error(int code, string message, string state = "HY000") => new ErrorReply(code, state, message);
    public static SqlReply Rows(string[] columns, IEnumerable<object?[]> rows) => new RowsReply(columns, rows.ToList());
    public static SqlReply Row(string[] columns, params object?[] values) => new RowsReply(columns, new List<object?[]> { values });
}
public sealed record OkReply(long Affected, string? Info) : SqlReply;
public sealed record ErrorReply(int Code, string State, string Message) : SqlReply;
public sealed record RowsReply(string[] Columns, List<object?[]> Data) : SqlReply;

/// <summary>One client session as seen by the handler.</summary>
public sealed class SqlSession
{
    public required string User { get; init; }
    public required int ConnectionId { get; init; }
    public required EndPoint? Remote { get; init; }
    public string? Database { get; set; }
    internal TcpClient? Client { get; set; }
    public void Kill() { try { Client?.Close(); } catch (Exception) { } }
}

public interface ISqlHandler
{
    string ServerVersion { get; }
    /// <summary>Password for the user if it may log in on this port, else null.</summary>
    string? PasswordFor(string user);
    SqlReply Execute(SqlSession session, string sql);
    SqlReply InitDb(SqlSession session, string database);
}

/// <summary>
/// The server side of the MySQL client/server protocol, as much as MySqlConnector and the mysql CLI use:
/// handshake v10, mysql_native_password (with auth switch), COM_QUERY text result sets, COM_INIT_DB,
/// COM_PING, COM_QUIT, COM_RESET_CONNECTION. No TLS: clients with the default "preferred" mode fall back.
/// </summary>
public sealed class MySqlServer : IDisposable
{
    const uint CapLongPassword = 1, CapFoundRows = 2, CapLongFlag = 4, CapConnectWithDb = 8, CapProtocol41 = 0x200,
        CapTransactions = 0x2000, CapSecureConnection = 0x8000, CapMultiStatements = 0x10000, CapMultiResults = 0x20000,
        CapPluginAuth = 0x80000;
    const uint ServerCaps = CapLongPassword | CapFoundRows | CapLongFlag | CapConnectWithDb | CapProtocol41 |
        CapTransactions | CapSecureConnection | CapMultiStatements | CapMultiResults | CapPluginAuth;
    static int s_connectionId = 1000;

    readonly TcpListener _listener;
    readonly ISqlHandler _handler;
    readonly List<SqlSession> _sessions = new();
    readonly CancellationTokenSource _stop = new();
    public int Port { get; }

    public MySqlServer(IPAddress address, int port, ISqlHandler handler)
    {
        _handler = handler;
        _listener = new TcpListener(address, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(128);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoop();
    }

    async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    /// <summary>Closes the port and kills every client connection on it (what `offline` does to 3323).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); } catch (Exception) { }
        lock (_sessions) { foreach (var s in _sessions) s.Kill(); _sessions.Clear(); }
    }

    void Serve(TcpClient client)
    {
        SqlSession? session = null;
        try
        {
            client.NoDelay = true;
            var stream = client.GetStream();
            var id = Interlocked.Increment(ref s_connectionId);
            var salt = RandomSalt();
            var greeting = new PacketWriter();
            greeting.Byte(10).NulString(_handler.ServerVersion).Int32((uint)id).Bytes(salt, 0, 8).Byte(0)
                .Int16((ushort)(ServerCaps & 0xffff)).Byte(33).Int16(2).Int16((ushort)(ServerCaps >> 16)).Byte(21)
                .Zeros(10).Bytes(salt, 8, 12).Byte(0).NulString("mysql_native_password");
            WritePacket(stream, 0, greeting.ToArray());

            var (seq, response) = ReadPacket(stream);
            var reader = new PacketReader(response);
            uint caps = reader.Int32();
            reader.Skip(4 + 1 + 23);
            string user = reader.NulString();
            byte[] token;
            if ((caps & 0x200000) != 0) token = reader.Bytes((int)reader.LengthEncoded());
            else if ((caps & CapSecureConnection) != 0) token = reader.Bytes(reader.Byte());
            else token = Encoding.UTF8.GetBytes(reader.NulString());
            string? database = (caps & CapConnectWithDb) != 0 && reader.Remaining > 0 ? reader.NulString() : null;
            string plugin = (caps & CapPluginAuth) != 0 && reader.Remaining > 0 ? reader.NulString() : "mysql_native_password";
            if (string.IsNullOrEmpty(database)) database = null;

            if (plugin != "mysql_native_password")
            {
                var sw = new PacketWriter().Byte(0xfe).NulString("mysql_native_password").Bytes(salt, 0, 20).Byte(0);
                WritePacket(stream, ++seq, sw.ToArray());
                (seq, token) = ReadPacket(stream);
            }
            var expected = _handler.PasswordFor(user);
            if (expected is null || !CheckNativePassword(token, salt, expected))
            {
                var host = (client.Client.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "localhost";
                WriteReply(stream, ref seq, SqlReply.Error(1045, $"Access denied for user '{user}'@'{host}' (using password: {(token.Length > 0 ? "YES" : "NO")})", "28000"));
                return;
            }
            session = new SqlSession { User = user, ConnectionId = id, Remote = client.Client.RemoteEndPoint, Client = client };
            lock (_sessions)
            {
                if (_stop.IsCancellationRequested) return;
                _sessions.Add(session);
            }
            if (database is not null)
            {
                var init = _handler.InitDb(session, database);
                WriteReply(stream, ref seq, init);
                if (init is ErrorReply) return;
            }
            else WriteReply(stream, ref seq, SqlReply.Ok());

            while (true)
            {
                var (_, command) = ReadPacket(stream);
                if (command.Length == 0) return;
                byte s = 0;
                var payload = Encoding.UTF8.GetString(command, 1, command.Length - 1);
                switch (command[0])
                {
                    case 0x01: return; // COM_QUIT
                    case 0x02: WriteReply(stream, ref s, _handler.InitDb(session, payload)); break;
                    case 0x03:
                        SqlReply reply;
                        try { reply = _handler.Execute(session, payload.Trim().TrimEnd(';').Trim()); }
                        catch (Exception ex) { reply = SqlReply.Error(1105, ex.Message); }
                        WriteReply(stream, ref s, reply);
                        break;
                    case 0x0e: case 0x1f: WriteReply(stream, ref s, SqlReply.Ok()); break; // PING, RESET_CONNECTION
                    default: WriteReply(stream, ref s, SqlReply.Error(1047, "Unknown command", "08S01")); break;
                }
            }
        }
        catch (Exception) { /* client went away or port closed */ }
        finally
        {
            if (session is not null) lock (_sessions) _sessions.Remove(session);
            client.Dispose();
        }
    }

    static byte[] RandomSalt()
    {
        var salt = new byte[20];
        RandomNumberGenerator.Fill(salt);
        for (int i = 0; i < salt.Length; i++) salt[i] = (byte)(salt[i] % 94 + 33); // printable, never NUL
        return salt;
    }

    static bool CheckNativePassword(byte[] token, byte[] salt, string password)
    {
        if (password.Length == 0) return token.Length == 0;
        if (token.Length != 20) return false;
        var stage1 = SHA1.HashData(Encoding.UTF8.GetBytes(password));
        var stage2 = SHA1.HashData(stage1);
        var scramble = SHA1.HashData(salt.Concat(stage2).ToArray());
        for (int i = 0; i < 20; i++) if ((byte)(token[i] ^ scramble[i]) != stage1[i]) return false;
        return true;
    }

    static (byte Seq, byte[] Payload) ReadPacket(Stream stream)
    {
        var header = ReadExactly(stream, 4);
        int length = header[0] | header[1] << 8 | header[2] << 16;
        return (header[3], ReadExactly(stream, length));
    }

    static byte[] ReadExactly(Stream stream, int count)
    {
        var buffer = new byte[count];
        stream.ReadExactly(buffer, 0, count);
        return buffer;
    }

    static void WritePacket(Stream stream, byte seq, byte[] payload)
    {
        var packet = new byte[payload.Length + 4];
        packet[0] = (byte)payload.Length; packet[1] = (byte)(payload.Length >> 8); packet[2] = (byte)(payload.Length >> 16);
        packet[3] = seq;
        payload.CopyTo(packet, 4);
        stream.Write(packet);
    }

    static void WriteReply(Stream stream, ref byte seq, SqlReply reply)
    {
        switch (reply)
        {
            case OkReply ok:
                var w = new PacketWriter().Byte(0).LengthEncoded((ulong)ok.Affected).LengthEncoded(0).Int16(2).Int16(0);
                if (ok.Info is not null) w.LengthString(ok.Info); // servers send it length-encoded, libmariadb requires that
                WritePacket(stream, ++seq, w.ToArray());
                break;
            case ErrorReply err:
                WritePacket(stream, ++seq, new PacketWriter().Byte(0xff).Int16((ushort)err.Code).Raw("#"u8.ToArray())
                    .Raw(Encoding.ASCII.GetBytes(err.State)).Raw(Encoding.UTF8.GetBytes(err.Message)).ToArray());
                break;
            case RowsReply rows:
                WritePacket(stream, ++seq, new PacketWriter().LengthEncoded((ulong)rows.Columns.Length).ToArray());
                for (int c = 0; c < rows.Columns.Length; c++)
                {
                    bool numeric = rows.Data.Count > 0 && rows.Data.All(r => r[c] is null or int or long);
                    var def = new PacketWriter().LengthString("def").LengthString("").LengthString("").LengthString("")
                        .LengthString(rows.Columns[c]).LengthString(rows.Columns[c]).Byte(0x0c)
                        .Int16(numeric ? (ushort)63 : (ushort)33).Int32(numeric ? 21u : 1024u)
                        .Byte(numeric ? (byte)0x08 : (byte)0xfd).Int16(numeric ? (ushort)0x81 : (ushort)0).Byte(0).Int16(0);
                    WritePacket(stream, ++seq, def.ToArray());
                }
                WritePacket(stream, ++seq, new PacketWriter().Byte(0xfe).Int16(0).Int16(2).ToArray());
                foreach (var row in rows.Data)
                {
                    var rw = new PacketWriter();
                    foreach (var value in row)
                        if (value is null) rw.Byte(0xfb); else rw.LengthString(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);
                    WritePacket(stream, ++seq, rw.ToArray());
                }
                WritePacket(stream, ++seq, new PacketWriter().Byte(0xfe).Int16(0).Int16(2).ToArray());
                break;
        }
        stream.Flush();
    }

    sealed class PacketWriter
    {
        readonly MemoryStream _m = new();
        public PacketWriter Byte(byte b) { _m.WriteByte(b); return this; }
        public PacketWriter Int16(ushort v) { _m.WriteByte((byte)v); _m.WriteByte((byte)(v >> 8)); return this; }
        public PacketWriter Int32(uint v) { for (int i = 0; i < 4; i++) _m.WriteByte((byte)(v >> (8 * i))); return this; }
        public PacketWriter Zeros(int n) { for (int i = 0; i < n; i++) _m.WriteByte(0); return this; }
        public PacketWriter Raw(byte[] b) { _m.Write(b); return this; }
        public PacketWriter Bytes(byte[] b, int offset, int count) { _m.Write(b, offset, count); return this; }
        public PacketWriter NulString(string s) { Raw(Encoding.UTF8.GetBytes(s)); return Byte(0); }
        public PacketWriter LengthString(string s) { var b = Encoding.UTF8.GetBytes(s); LengthEncoded((ulong)b.Length); return Raw(b); }
        public PacketWriter LengthEncoded(ulong v)
        {
            if (v < 251) return Byte((byte)v);
            if (v < 0x10000) { Byte(0xfc); return Int16((ushort)v); }
            if (v < 0x1000000) { Byte(0xfd); Byte((byte)v); Byte((byte)(v >> 8)); return Byte((byte)(v >> 16)); }
            Byte(0xfe); for (int i = 0; i < 8; i++) Byte((byte)(v >> (8 * i)));
            return this;
        }
        public byte[] ToArray() => _m.ToArray();
    }

    sealed class PacketReader(byte[] data)
    {
        int _pos;
        public int Remaining => data.Length - _pos;
        public byte Byte() => data[_pos++];
        public uint Int32() { uint v = BitConverter.ToUInt32(data, _pos); _pos += 4; return v; }
        public void Skip(int n) => _pos += n;
        public byte[] Bytes(int n) { var b = data.AsSpan(_pos, n).ToArray(); _pos += n; return b; }
        public string NulString()
        {
            int end = Array.IndexOf(data, (byte)0, _pos);
            if (end < 0) end = data.Length;
            var s = Encoding.UTF8.GetString(data, _pos, end - _pos);
            _pos = Math.Min(end + 1, data.Length);
            return s;
        }
        public ulong LengthEncoded()
        {
            byte first = Byte();
            if (first < 0xfb) return first;
            int n = first == 0xfc ? 2 : first == 0xfd ? 3 : 8;
            ulong v = 0;
            for (int i = 0; i < n; i++) v |= (ulong)Byte() << (8 * i);
            return v;
        }
    }
}
