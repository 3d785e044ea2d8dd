import Foundation
import GatehouseCore
import Logging
import Testing

@testable import GatehouseHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// The files a server creates are its user's alone (`docs/SECURITY.md`, "Files").
@Suite("Files: the database and the master key are readable by the server's user only") struct FilePermissionTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    @Test("a new SQLite database, its WAL and the generated master-key file are created 0600")
    func newFilesArePrivate() async throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.path + "/gatehouse.sqlite"
        var configuration = TestServer.configuration(database: "sqlite://\(database)")
        configuration.masterKey = nil
        let previous = umask(0o022)
        defer { umask(previous) }
        try await TestServer.run(configuration) { client in
            let fixtures = try await Fixtures.make(client)
            try await fixtures.createUser()
            for path in [database, database + ".key", database + "-wal", database + "-shm"]
            where FileManager.default.fileExists(atPath: path) {
                #expect(Self.mode(path) == 0o600, "\(path): \(String(Self.mode(path) ?? 0, radix: 8))")
            }
            #expect(Self.mode(database + ".key") == 0o600)
        }
    }

    @Test("an existing master-key file is never replaced: one that cannot be read stops the start with what to do")
    func existingKeyFileIsKept() throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.path + "/gatehouse.sqlite"
        var configuration = TestServer.configuration(database: "sqlite://\(database)")
        configuration.masterKey = nil
        // Something the server cannot read stands where the key file goes (root reads any file).
        try FileManager.default.createDirectory(atPath: database + ".key", withIntermediateDirectories: false)
        #expect {
            _ = try MasterKeyResolver.resolve(configuration, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("exists but cannot be read") && "\(error)".contains(database + ".key")
        }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: database + ".key", isDirectory: &isDirectory) && isDirectory.boolValue)

        let file = directory.path + "/kept"
        try PrivateFiles.create("first\n", at: file)
        #expect(throws: (any Error).self) { try PrivateFiles.create("second\n", at: file) }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "first\n")
        #expect(Self.mode(file) == 0o600)
    }

    @Test("files others can read are reported with what to do")
    func wideModesAreReported() throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let open = directory.path + "/open.sqlite"
        let closed = directory.path + "/closed.sqlite"
        try PrivateFiles.createIfMissing(open)
        try PrivateFiles.createIfMissing(closed)
        #expect(chmod(open, 0o644) == 0)
        let warnings = PrivateFiles.wideModeWarnings([open, closed, directory.path + "/missing"])
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("chmod 600 \(open)") == true)
    }
}
