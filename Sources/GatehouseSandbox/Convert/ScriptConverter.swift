import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The rules and hooks converter (`Converter/convert.js`, plain JavaScript shipped as a
/// resource), run with Node.js by `gatehouse rules convert` and `gatehouse hooks convert`.
/// It only reads the scripts it is given; it never runs them.
public struct ScriptConverter: Sendable {
    public let nodeBinary: String

    public init(nodeBinary: String) {
        self.nodeBinary = nodeBinary
    }

    /// The converter's entry point.
    public static var script: String { SandboxResources.url("Converter/convert.js").path }

    /// Runs the converter with `arguments` (`rules …` or `hooks --trigger T …`) in the current
    /// directory, its output going straight to this process's stdout and stderr. Returns its exit status.
    public func run(_ arguments: [String]) throws -> Int32 {
        let child = try ChildProcess(
            executable: nodeBinary, arguments: [Self.script] + arguments, directory: FileManager.default.currentDirectoryPath,
            standardOutput: STDOUT_FILENO, standardError: STDERR_FILENO)
        return exitStatus(child.waitUntilEnded())
    }

    /// Runs the converter with `--json` added and returns its exit status and report (its
    /// stdout); its stderr (a script that cannot be converted) goes to this process's stderr.
    public func report(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw ChildProcess.Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let reading = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
        let child: ChildProcess
        do {
            defer { close(ends[1]) }
            child = try ChildProcess(
                executable: nodeBinary, arguments: [Self.script] + arguments + ["--json"],
                directory: FileManager.default.currentDirectoryPath, standardOutput: ends[1], standardError: STDERR_FILENO)
        }
        let output = reading.readDataToEndOfFile()
        return (exitStatus(child.waitUntilEnded()), String(decoding: output, as: UTF8.self))
    }

    private func exitStatus(_ termination: ChildProcess.Termination) -> Int32 {
        termination.signaled ? 128 + termination.status : termination.status
    }
}
