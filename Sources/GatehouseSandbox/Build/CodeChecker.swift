import Foundation
import GatehouseCore

#if canImport(Glibc)
    import Glibc
#endif

/// Checks an action's code at build time, in a throw-away Node.js process with the workers'
/// restrictions: it must compile as a CommonJS module, its top level must run, its `require`s
/// must resolve (built-ins or its dependency bundle), and it must export the trigger's handler.
public struct CodeChecker: Sendable {
    let configuration: SandboxConfiguration

    public init(configuration: SandboxConfiguration) {
        self.configuration = configuration
    }

    /// `nil` when the code is fine, otherwise what is wrong, in words for the action's author.
    /// The check runs on the Node binary of the action's `runtime`; it throws when it cannot run
    /// at all (no such binary, root without `setpriv`).
    public func problem(
        code: String, handler: String, nodeModules: String?, runtime: String? = nil, timeout: Duration = .seconds(10)
    ) async throws -> String? {
        let binary = configuration.binary(forRuntime: runtime)
        // Not the code's fault: the caller reports it as such.
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw SandboxPool.Failure.nodeMissing(binary) }
        let launch = try configuration.forBinary(binary).node([
            "-e", Self.script, "--", handler, nodeModules ?? "",
        ])
        let output = try await Self.run(launch, input: Data(code.utf8), timeout: timeout)
        guard let answer = JSONValue(jsonText: output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            let why = output.timedOut ? "its top level did not finish within \(timeout)" : "the check process failed"
            return "The code cannot be loaded: \(why)."
        }
        return answer["ok"] == true ? nil : answer["message"]?.stringValue ?? "The code cannot be loaded."
    }

    /// Reads the code from stdin and loads it the way the runner does.
    static let script = #"""
        const fs = require('fs'), vm = require('vm'), Module = require('module');
        const [handler, modules] = process.argv.slice(1);
        const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');
        try {
          const code = fs.readFileSync(0, 'utf8');
          const fn = vm.compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'actions/code.js' });
          const packages = modules ? Module.createRequire(modules + '/') : null;
          const load = (id) => {
            if (Module.isBuiltin(id)) return require(id);
            if (packages && !id.startsWith('.') && !id.startsWith('/')) return packages(id);
            const error = new Error(`Cannot find module '${id}'`); error.code = 'MODULE_NOT_FOUND'; throw error;
          };
          const module = { exports: {} };
          fn.call(module.exports, module.exports, load, module, 'actions/code.js', 'actions');
          if (typeof module.exports[handler] !== 'function') {
            say({ ok: false, message: `The code does not export ${handler}: write exports.${handler} = async (event, api) => { … }.` });
          } else {
            say({ ok: true });
          }
        } catch (error) {
          const where = error && error.stack ? String(error.stack).split('\n').slice(0, 2).join(' ') : String(error);
          say({ ok: false, message: `Compilation failed: ${error && error.message ? error.message : String(error)} (${where})` });
        }
        setImmediate(() => process.exit(0));
        """#

    struct Output {
        var stdout: String
        var timedOut: Bool
    }

    static func run(_ launch: SandboxLaunch, input: Data, timeout: Duration) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let stdin = Pipe()
                let stdout = Pipe()
                let process: ChildProcess
                do {
                    process = try launch.start(
                        standardInput: stdin.fileHandleForReading.fileDescriptor,
                        standardOutput: stdout.fileHandleForWriting.fileDescriptor, standardError: nil)
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                try? stdin.fileHandleForReading.close()
                try? stdout.fileHandleForWriting.close()
                let killer = DispatchWorkItem { process.signal(SIGKILL) }
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: killer)
                try? stdin.fileHandleForWriting.write(contentsOf: input)
                try? stdin.fileHandleForWriting.close()
                let data = stdout.fileHandleForReading.readDataToEndOfFile()
                let termination = process.waitUntilEnded()
                killer.cancel()
                let timedOut = termination == ChildProcess.Termination(status: SIGKILL, signaled: true)
                continuation.resume(returning: Output(stdout: String(decoding: data, as: UTF8.self), timedOut: timedOut))
            }
        }
    }
}
