import Foundation
import GatehouseCore
import GatehouseSandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The dependency escape of the sandbox-trust report (`docs/SECURITY.md`, "Dependencies"): a
/// `file:/` dependency became `node_modules/evil → /`, and Node's permission model, which
/// compares path text, let actions read the whole disk through it.
@Suite("Sandbox trust: dependencies cannot lead out of their bundle") struct DependencyTrustTests {
    static let tenantAttacks = [
        "file:/", "file:///etc", "file:../../..", "/etc", "../x", "./evil.tgz", "evil.tgz", "evil.tar.gz", "git+https://example.com/x.git",
        "git://example.com/x", "github:someone/evil", "someone/evil", "https://example.com/evil.tgz", "npm:lodash@4.17.21",
        "link:/", "",
    ]
    static let registrySpecs = ["4.17.21", "^1.2.0", "~1.2.0", ">=1.0.0 <2.0.0", "1.x || 2.x", "latest", "next", "*", "1.0.0-beta.1"]

    @Test("the Management API takes registry versions only: every other npm source is a 400 naming the dependency")
    func managementAPIRefusesLocalSources() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            for (index, spec) in Self.tenantAttacks.enumerated() {
                let reply = try await client.json(
                    .post, "/api/v2/actions/actions",
                    .object([
                        "name": .string("evil-\(index)"), "code": "exports.onExecutePostLogin = async () => {};",
                        "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                        "dependencies": .array([.object(["name": "evil", "version": .string(spec)])]),
                    ]), token: fixtures.token)
                #expect(reply.status == .badRequest, "\(spec): \(reply.status) \(reply.text)")
                #expect(reply.json["errorCode"] == "invalid_dependency", "\(spec)")
            }
            let listed = try await client.json(.get, "/api/v2/actions/actions", token: fixtures.token)
            #expect(listed.json["actions"]?.arrayValue?.isEmpty == true, "no half-written action is left: \(listed.text)")
        }
    }

    @Test("registry versions, ranges and dist-tags are accepted; local and remote sources only under the operator's setting")
    func sourcesPolicy() throws {
        for spec in Self.registrySpecs {
            #expect(DependencySources.registryOnly.problem(with: ActionDependency(name: "lodash", version: spec)) == nil, "\(spec)")
        }
        for spec in Self.tenantAttacks {
            #expect(DependencySources.registryOnly.problem(with: ActionDependency(name: "evil", version: spec)) != nil, "\(spec)")
        }
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let allowed = work.appendingPathComponent("packages")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: allowed.path + "/root", withDestinationPath: "/")
        let sources = try DependencySources(setting: "\(allowed.path), https://npm.internal.example/")
        func allows(_ spec: String) -> Bool { sources.problem(with: ActionDependency(name: "pkg", version: spec)) == nil }
        #expect(allows("file:\(allowed.path)/pkg-1.0.0.tgz"))
        #expect(allows("https://npm.internal.example/pkg-1.0.0.tgz"))
        #expect(allows("^2.0.0"))
        #expect(!allows("file:\(allowed.path)/../../etc"))
        #expect(!allows("file:\(allowed.path)evil/pkg"))
        #expect(!allows("file:\(allowed.path)/root/etc"), "a link inside an allowed directory is followed before the check")
        #expect(!allows("file:\(allowed.path)"))
        #expect(!allows("https://npm.internal.example.evil/x.tgz"))
        #expect(!allows("https://npm.internal.example/../x.tgz".replacingOccurrences(of: "example/..", with: "example/x/..")))
        #expect(throws: DependencySources.Invalid.self) { try DependencySources(setting: "relative/dir") }
        #expect(throws: DependencySources.Invalid.self) { try DependencySources(setting: "/") }
    }

    @Test("a bundle holding a link that leads outside it is refused; links inside it are fine")
    func bundleCheck() throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let manager = FileManager.default
        let modules = work.appendingPathComponent("node_modules")
        try manager.createDirectory(at: modules.appendingPathComponent("pkg/bin"), withIntermediateDirectories: true)
        try "x".write(to: modules.appendingPathComponent("pkg/bin/cli.js"), atomically: true, encoding: .utf8)
        try manager.createDirectory(at: modules.appendingPathComponent(".bin"), withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: modules.path + "/.bin/cli", withDestinationPath: "../pkg/bin/cli.js")
        #expect(BundleCheck.problem(in: work.path) == nil)

        for (name, target) in [("evil", "/"), ("up", "../../.."), ("sneaky", "pkg/../../../etc")] {
            let link = modules.path + "/" + name
            try manager.createSymbolicLink(atPath: link, withDestinationPath: target)
            #expect(BundleCheck.problem(in: work.path)?.contains(name) == true, "\(name) → \(target)")
            try manager.removeItem(atPath: link)
        }
        // Followed as the kernel does: each `s` leads one level up (inside), so `s/s/s/../..`
        // leaves the bundle, though its text, `..` folded first, stays inside.
        let deep = modules.appendingPathComponent("a/b/c")
        try manager.createDirectory(at: deep, withIntermediateDirectories: true)
        for directory in ["a", "a/b", "a/b/c"] {
            try manager.createSymbolicLink(atPath: modules.path + "/" + directory + "/s", withDestinationPath: "..")
        }
        #expect(BundleCheck.problem(in: work.path) == nil)
        try manager.createSymbolicLink(atPath: deep.path + "/x", withDestinationPath: "s/s/s/../..")
        #expect(BundleCheck.problem(in: work.path)?.contains("a/b/c/x is a link that leads outside") == true)
        try manager.removeItem(atPath: deep.path + "/x")
        try manager.createSymbolicLink(atPath: deep.path + "/x", withDestinationPath: "missing/../..")
        #expect(BundleCheck.problem(in: work.path)?.contains("a/b/c/x is a link to nothing") == true)
        try manager.removeItem(at: modules.appendingPathComponent("a"))
        let outside = work.deletingLastPathComponent().appendingPathComponent("outside-\(RandomIdentifier.hex(byteCount: 4))")
        try "secret".write(to: outside, atomically: true, encoding: .utf8)
        defer { try? manager.removeItem(at: outside) }
        #expect(link(outside.path, modules.path + "/hard") == 0)
        #expect(BundleCheck.problem(in: work.path)?.contains("hard link") == true)
    }

    @Test("the local runner's file:/ dependency no longer installs, and leaves no bundle")
    func localRunnerRoot() async throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let bundles = work.appendingPathComponent("bundles").path
        let installer = DependencyInstaller(bundlesDirectory: bundles, fetchRetries: 0, sources: .anySource)
        await #expect(throws: DependencyInstaller.Failure.self) {
            try await installer.install([ActionDependency(name: "evil", version: "file:/")])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: bundles).isEmpty)
    }

    @Test("a local package with links to / is copied without them, readable by the server's user (and the workers' group) only")
    func localPackageCopiedWithoutLinks() async throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let package = try DependencyInstallTests.makePackage(in: work)
        try FileManager.default.createSymbolicLink(atPath: package.path + "/root", withDestinationPath: "/")
        let bundles = work.appendingPathComponent("bundles").path
        let group: UInt32? = geteuid() == 0 ? 65_534 : nil
        let installer = DependencyInstaller(bundlesDirectory: bundles, sources: .anySource, readerGroupID: group)
        let modules = try #require(try await installer.install([ActionDependency(name: "tiny-shout", version: "file:" + package.path)]))
        #expect(BundleCheck.problem(in: modules) == nil)
        var info = stat()
        #expect(lstat(modules + "/tiny-shout", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR, "copied, not linked")
        #expect(lstat(modules + "/tiny-shout/root", &info) != 0, "the package's own link to / is not installed")
        for path in [bundles, modules, modules + "/tiny-shout", modules + "/tiny-shout/index.js"] {
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o007 == 0, "\(path) is closed to others: \(String(info.st_mode & 0o777, radix: 8))")
            #expect(info.st_mode & 0o020 == 0, "\(path) is not group-writable")
            if let group {
                #expect(info.st_gid == group && info.st_mode & 0o040 != 0, "\(path) is readable by the workers' group")
            } else {
                #expect(info.st_mode & 0o070 == 0, "\(path) is the server user's alone")
            }
        }
    }

    @Test("a bundles directory that another user created first is refused; the default is not in the temporary directory")
    func bundlesDirectoryOwnership() throws {
        #expect(!SandboxConfiguration.defaultBundlesDirectory().hasPrefix(NSTemporaryDirectory()))
        #expect(!SandboxConfiguration.defaultBundlesDirectory().hasPrefix("/tmp/"))
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let planted = work.appendingPathComponent("planted").path
        try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        let configuration = SandboxConfiguration(workers: 1, bundlesDirectory: planted)
        // Owned by this user but world-writable: narrowed, with a warning.
        #expect(try configuration.prepareBundlesDirectory().count == 1)
        var info = stat()
        #expect(stat(planted, &info) == 0 && info.st_mode & 0o002 == 0)
        if geteuid() == 0 {
            #expect(chown(planted, 65_534, 65_534) == 0)
            #expect(throws: DependencyInstaller.Failure.self) { try configuration.prepareBundlesDirectory() }
            let link = work.appendingPathComponent("link").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/")
            #expect(throws: DependencyInstaller.Failure.self) {
                try SandboxConfiguration(workers: 1, bundlesDirectory: link).prepareBundlesDirectory()
            }
        }
    }

    @Test("on a fresh install the bundles directory need not exist: a bundle installed after the workers start can be required")
    func freshInstall() async throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let package = try DependencyInstallTests.makePackage(in: work)
        let bundles = work.appendingPathComponent("fresh/bundles").path
        try await SandboxFixture.withPool(bundles: bundles) { pool in
            let installer = DependencyInstaller(
                bundlesDirectory: bundles, sources: .anySource, readerGroupID: geteuid() == 0 ? 65_534 : nil)
            let modules = try #require(try await installer.install([ActionDependency(name: "tiny-shout", version: "file:" + package.path)]))
            let request = try SandboxFixture.postLogin([
                (
                    "shout",
                    "const shout = require('tiny-shout'); exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/s', shout('hi')); };"
                )
            ])
            let action = request.actions[0]
            var withModules = request
            withModules.actions[0] = ActionSource(name: action.name, versionID: action.versionID, code: action.code, nodeModules: modules)
            let result = try await pool.run(withModules)
            #expect(result.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/s", "HI!"])], "\(result)")
        }
    }
}
