import Foundation
import GatehouseCore
import Testing

@testable import GatehouseSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// The `gatehouse` binary run as an operator runs it, and what its Actions workers can reach:
/// as a user of its own (`nobody` through `setpriv` when the tests run as root), the server shares
/// that user with its workers (`docs/SECURITY.md`, "What an operator must configure").
@Suite("Sandbox trust: the server's process, the user its workers run as, their memory limit") struct SandboxServerProcessTests {
    /// Everything an action has to read the server's environment or memory through `/proc`: each
    /// attempt's outcome, with any `GATEHOUSE_CANARY=` it found in what it read.
    static let procThief = #"""
        const fs = require('fs');
        exports.onExecutePostLogin = async (event, api) => {
          const host = process.ppid;
          const at = '/proc/' + host;
          const read = (path) => fs.readFileSync(path, 'latin1');
          const readAt = (path, from, length) => {
            const bytes = Buffer.alloc(length);
            fs.readSync(fs.openSync(path, 'r'), bytes, 0, length, from);
            return bytes.toString('latin1');
          };
          // Without waiting: the worker's own stdin is a pipe that stays open.
          const readNow = (path) => {
            const bytes = Buffer.alloc(65536);
            const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
            return bytes.toString('latin1', 0, fs.readSync(fd, bytes));
          };
          const stack = () => {
            const line = read(at + '/maps').split('\n').find((entry) => entry.endsWith('[stack]'));
            const [from, to] = line.split(' ')[0].split('-').map((hex) => parseInt(hex, 16));
            return readAt(at + '/mem', from, to - from);
          };
          const attempts = {
            environ: () => read(at + '/environ'),
            cmdline: () => read(at + '/cmdline'),
            maps: () => read(at + '/maps'),
            'mem at its stack': stack,
            'mem at 0': () => readAt(at + '/mem', 0, 64),
            'fd listing': () => fs.readdirSync(at + '/fd').join(' '),
            'fd links': () => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((fd) => fs.readlinkSync(at + '/fd/' + fd)).join(' '),
            'fd 3': () => read(at + '/fd/3'),
            'task environ': () => read(at + '/task/' + host + '/environ'),
            'root link': () => read(at + '/root/proc/' + host + '/environ'),
            'cwd link': () => fs.readdirSync(at + '/cwd').join(' '),
            'exe link': () => fs.realpathSync(at + '/exe'),
            'self/..': () => read('/proc/self/../' + host + '/environ'),
            'self/root': () => read('/proc/self/root/proc/' + host + '/environ'),
            'self/fd listing': () => fs.readdirSync('/proc/self/fd').join(' '),
            'self/fd/0': () => readNow('/proc/self/fd/0'),
            'dev/fd/0': () => readNow('/dev/fd/0'),
            'dev/stdin': () => readNow('/dev/stdin'),
            'descriptors 3-8': () => [3, 4, 5, 6, 7, 8].map((fd) => fs.readSync(fd, Buffer.alloc(64))).join(' '),
            'Buffer path': () => fs.readFileSync(Buffer.from(at + '/environ'), 'latin1'),
            'file: URL': () => fs.readFileSync(new URL('file://' + at + '/environ'), 'latin1'),
            'up from the runner': () => read(process.cwd() + '/../../../../../../../..' + at + '/environ'),
            stream: () =>
              new Promise((resolve, reject) => {
                let text = '';
                fs.createReadStream(at + '/environ', 'latin1')
                  .on('data', (data) => (text += data))
                  .on('end', () => resolve(text))
                  .on('error', reject);
              }),
            'fs.promises': () => fs.promises.readFile(at + '/environ', 'latin1'),
            openAsBlob: async () => (await fs.openAsBlob(at + '/environ')).text(),
            'import()': () => import('file://' + at + '/environ'),
            require: () => require(at + '/environ'),
            fetch: async () => (await fetch('file://' + at + '/environ')).text(),
            'process.binding': () => process.binding('fs'),
            WASI: () => new (require('wasi').WASI)({ version: 'preview1', preopens: { '/proc': '/proc' } }),
          };
          const outcomes = {};
          for (const [name, attempt] of Object.entries(attempts)) {
            try {
              const value = await attempt();
              const text = typeof value === 'string' ? value : String(JSON.stringify(value));
              const stolen = /GATEHOUSE_CANARY=[^\0\n]*/.exec(text);
              outcomes[name] = 'read: ' + (stolen ? stolen[0] + ' … ' : '') + text.slice(0, 200);
            } catch (error) {
              outcomes[name] = 'refused: ' + (error.code || error.message);
            }
          }
          api.idToken.setCustomClaim('https://x/outcomes', outcomes);
          console.log(JSON.stringify({ host, env: process.env }));
        };
        """#

    @Test(
        "an action in a worker of the server's own user reads nothing of the server's /proc: not its environment, memory, descriptors or links"
    )
    func procOfTheServer() throws {
        let directory = try GatehouseBinary.workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.procThief.write(to: directory.appendingPathComponent("thief.js"), atomically: true, encoding: .utf8)
        let canary = "canary-" + RandomIdentifier.hex(byteCount: 16)
        let run = try GatehouseBinary.run(
            ["actions", "run", "thief.js", "--trigger", "post-login", "--bundles", directory.path + "/bundles"],
            environment: ["GATEHOUSE_CANARY": canary, "HOME": directory.path], in: directory.path, asServerUser: true)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains(canary) && !run.stderr.contains(canary), "the server's environment reached the action:\n\(run.stdout)")
        let action = try #require(JSONValue(jsonText: run.stdout)?["actions"]?.arrayValue?.first, "\(run.stdout)\n\(run.stderr)")
        let seen = try #require(JSONValue(jsonText: action["logs"]?.stringValue ?? ""), "\(action)")
        #expect(seen["host"] == .number(Double(run.pid)), "the attempts aimed at the server's pid")
        #expect(seen["env"] == .object([:]))
        let outcomes = try #require(action["commands"]?.arrayValue?.first?["args"]?.arrayValue?.last?.objectValue, "\(action)")
        #expect(outcomes.count == 30)
        for (attempt, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            #expect(outcome.stringValue?.hasPrefix("refused: ") == true, "\(attempt): \(outcome)")
        }
    }

    /// `gatehouse serve` on loopback, an in-memory database and one cold worker, logging JSON.
    static func serverEnvironment(_ directory: URL, memoryMegabytes: String) -> [String: String] {
        [
            "GATEHOUSE_HOST": "127.0.0.1", "GATEHOUSE_PORT": "0", "GATEHOUSE_DATABASE_URL": "sqlite::memory:",
            "GATEHOUSE_MASTER_KEY": MasterKey.generateBase64(), "GATEHOUSE_LOG_FORMAT": "json", "GATEHOUSE_SANDBOX_WORKERS": "1",
            "GATEHOUSE_SANDBOX_WARMUP_FLOWS": "0", "GATEHOUSE_BUNDLES_DIR": directory.path + "/bundles",
            "GATEHOUSE_SANDBOX_MEMORY_MB": memoryMegabytes, "HOME": directory.path,
        ]
    }

    @Test(
        "started as a user of its own, the server warns once that its workers share that user, and caps them at GATEHOUSE_SANDBOX_MEMORY_MB"
    )
    func startAsItsOwnUser() throws {
        let directory = try GatehouseBinary.workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var serverUser: String?
        var workers: [(user: String?, dataLimit: String?)] = []
        let run = try GatehouseBinary.run(
            ["serve"], environment: Self.serverEnvironment(directory, memoryMegabytes: "300"), in: directory.path, asServerUser: true
        ) { pid, log in
            guard log.contains("actions sandbox") else { return false }
            serverUser = ProcFiles.field("Uid:", of: pid)
            workers = ProcFiles.children(of: pid).filter { ProcFiles.commandLine(of: $0).contains("runner.js") }.map { worker in
                (ProcFiles.field("Uid:", of: worker), ProcFiles.field("Max data size", of: worker, file: "limits"))
            }
            return true
        }
        let lines = run.stderr.split(separator: "\n").compactMap { JSONValue(jsonText: String($0)) }
        #expect(lines.contains { $0["msg"] == "actions sandbox ready" }, "\(run.stderr)")
        let warnings = lines.filter { $0["level"] == "warning" && $0["msg"]?.stringValue?.contains("does not run as root") == true }
        #expect(warnings.count == 1, "\(run.stderr)")
        let warning = warnings.first?["msg"]?.stringValue ?? ""
        #expect(warning.contains("Run the server as a user of its own"), "it says what to do: \(warning)")
        #expect(workers.count == 1)
        #expect(workers.first?.user != nil && workers.first?.user == serverUser, "the worker shares the server's user")
        #expect(workers.first?.dataLimit == "\(300 << 20) \(300 << 20) bytes", "RLIMIT_DATA of the worker")
    }

    @Test(
        "a GATEHOUSE_SANDBOX_MEMORY_MB that is not a number of megabytes from 256 to 65536 stops the start, saying what is allowed",
        arguments: ["0", "-512", "255", "65537", "99999999999999999999", "512MB", "lots"])
    func badMemoryLimit(_ value: String) throws {
        let directory = try GatehouseBinary.workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Should the value be taken, the server is stopped as soon as its sandbox is up.
        let run = try GatehouseBinary.run(
            ["serve"], environment: Self.serverEnvironment(directory, memoryMegabytes: value), in: directory.path, deadline: .seconds(60)
        ) { _, log in log.contains("actions sandbox") }
        #expect(run.status == 64, "a usage error, not a crash: \(run.stderr)")
        #expect(
            run.stderr.hasPrefix("Error: GATEHOUSE_SANDBOX_MEMORY_MB must be a number of megabytes from 256 to 65536, got \(value)\n"),
            "\(run.stderr)")
    }

    @Test("a root server without setpriv refuses to start workers rather than run actions as root", .enabled(if: geteuid() == 0))
    func rootWithoutSetpriv() throws {
        let directory = try GatehouseBinary.workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tools = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: tools, withIntermediateDirectories: true)
        for tool in ["node", "prlimit"] {
            let path = try #require(SandboxConfiguration.findExecutable(tool))
            try FileManager.default.createSymbolicLink(atPath: tools.appendingPathComponent(tool).path, withDestinationPath: path)
        }
        try "exports.onExecutePostLogin = async () => { console.log(process.getuid()); };".write(
            to: directory.appendingPathComponent("whoami.js"), atomically: true, encoding: .utf8)
        let run = try GatehouseBinary.run(
            ["actions", "run", "whoami.js", "--trigger", "post-login", "--bundles", directory.path + "/bundles"],
            environment: ["PATH": tools.path], in: directory.path)
        #expect(run.status == 2, "\(run.stdout)")
        #expect(run.stderr.contains("setpriv (util-linux) is not on the PATH"), "\(run.stderr)")
    }
}

/// What `/proc` says about a process, read by the tests (as root, or as the server's user).
enum ProcFiles {
    /// The processes whose parent is `pid`.
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { candidate in
            // `pid (comm) state ppid …`: the command may contain spaces and parentheses.
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                let end = stat.range(of: ")", options: .backwards)
            else { return false }
            let fields = stat[end.upperBound...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid
        }
    }

    static func commandLine(of pid: pid_t) -> String {
        (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ") ?? ""
    }

    /// The rest of the line of `/proc/<pid>/<file>` that starts with `label`, its columns single-spaced.
    static func field(_ label: String, of pid: pid_t, file: String = "status") -> String? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return nil }
        return line.dropFirst(label.count).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
