import Foundation
import GatehouseCore
import GatehouseSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A bundle marked complete is checked again before it is used (`BundleRecheck.swift`): the
/// attack is a link planted in it after it was installed, leading to a directory beside the
/// bundles directory that holds a secret.
@Suite("Sandbox trust: a bundle altered after it was installed is not used") struct BundleRecheckTests {
    struct Installed {
        let work: URL
        let bundles: String
        let sources: DependencySources
        let installer: DependencyInstaller
        let dependencies: [ActionDependency]
        let modules: String
        var secret: String { work.path + "/outside/secret.txt" }
    }

    /// tiny-shout installed from its `npm pack` tarball, and a secret in `outside`, next to the bundles.
    static func install() async throws -> Installed {
        let work = try DependencyInstallTests.temporaryDirectory()
        let tarball = try await DependencyInstallTests.packedPackage(in: work)
        try FileManager.default.createDirectory(at: work.appendingPathComponent("outside"), withIntermediateDirectories: true)
        try "the server's secret".write(to: work.appendingPathComponent("outside/secret.txt"), atomically: true, encoding: .utf8)
        let bundles = work.appendingPathComponent("bundles").path
        let sources = DependencySources(directories: [work.path], urlPrefixes: [])
        let installer = DependencyInstaller(
            bundlesDirectory: bundles, sources: sources, readerGroupID: geteuid() == 0 ? 65_534 : nil)
        let dependencies = [ActionDependency(name: "tiny-shout", version: "file:\(tarball.path)")]
        let modules = try #require(try await installer.install(dependencies))
        return Installed(
            work: work, bundles: bundles, sources: sources, installer: installer, dependencies: dependencies, modules: modules)
    }

    /// Plants `tiny-shout/evil → outside` in the installed bundle (relative, as npm writes links).
    static func plantLink(in installed: Installed) throws {
        try FileManager.default.createSymbolicLink(
            atPath: installed.modules + "/tiny-shout/evil", withDestinationPath: "../../../../outside")
        #expect(FileManager.default.fileExists(atPath: installed.modules + "/tiny-shout/evil/secret.txt"), "the link leads out")
    }

    @Test("reused by a build: the planted link is found and the bundle installed again, without it")
    func reuse() async throws {
        let installed = try await Self.install()
        defer { try? FileManager.default.removeItem(at: installed.work) }
        try Self.plantLink(in: installed)
        #expect(try await installed.installer.install(installed.dependencies) == installed.modules)
        var info = stat()
        #expect(lstat(installed.modules + "/tiny-shout/evil", &info) != 0, "the planted link is gone")
        #expect(FileManager.default.fileExists(atPath: installed.modules + "/tiny-shout/index.js"), "the package is back")
        #expect(FileManager.default.fileExists(atPath: installed.secret), "what the link led to is left alone")
        #expect(try FileManager.default.contentsOfDirectory(atPath: installed.bundles).count == 1, "nothing left aside")
    }

    @Test("at start, before any worker runs: the altered bundle is installed again and a link beside the bundles removed")
    func start() async throws {
        let installed = try await Self.install()
        defer { try? FileManager.default.removeItem(at: installed.work) }
        try Self.plantLink(in: installed)
        let outside = installed.work.path + "/outside"
        try FileManager.default.createSymbolicLink(atPath: installed.bundles + "/escape", withDestinationPath: outside)
        let code = """
            const fs = require('fs');
            const shout = require('tiny-shout');
            const read = (path) => { try { return fs.readFileSync(path, 'utf8'); } catch (error) { return error.code; } };
            exports.onExecutePostLogin = async (event, api) => {
              api.idToken.setCustomClaim('https://x/s', [
                shout('hi'), read('\(installed.modules)/tiny-shout/evil/secret.txt'), read('\(installed.bundles)/escape/secret.txt'),
              ].join(' '));
            };
            """
        try await SandboxFixture.withPool(bundles: installed.bundles, sources: installed.sources) { pool in
            var request = try SandboxFixture.postLogin([("reader", code)])
            let action = request.actions[0]
            request.actions[0] = ActionSource(
                name: action.name, versionID: action.versionID, code: action.code, nodeModules: installed.modules)
            let result = try await pool.run(request)
            let claim = Command(method: "api.idToken.setCustomClaim", args: ["https://x/s", "HI! ENOENT ENOENT"])
            #expect(result.commands == [claim], "the package is back; neither link is: \(result)")
        }
        #expect(FileManager.default.fileExists(atPath: installed.secret), "what the links led to is left alone")
    }
}
