import Foundation
import GatehouseCore
import GatehouseSandbox
import Testing

/// The bundle check through a real `npm install` and a real build (`docs/SECURITY.md`,
/// "Dependencies"). npm itself drops what a package's files could make into links: symbolic and
/// hard link entries of a tarball are not extracted, `bin` paths are kept inside the package,
/// and `--install-links` copies `file:` directories. What gets through is a link npm makes from
/// a registry package's `npm-shrinkwrap.json` (`"link": true` entries), which any tenant can
/// declare as a registry version.
@Suite("Sandbox trust: a dependency npm installs as a link out of its bundle fails the build") struct DependencyBuildTrustTests {
    /// `shr`, whose shrinkwrap has npm link `node_modules/shr/node_modules/evil` to `outside`
    /// (four levels up from where npm puts `shr` in a bundle of `bundles`: `outside`'s parent).
    static func makeShrinkwrapLinkPackage(in packages: URL) throws -> URL {
        let package = packages.appendingPathComponent("shr")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        try #"{"name":"shr","version":"1.0.0","main":"index.js","dependencies":{"evil":"1.0.0"}}"#.write(
            to: package.appendingPathComponent("package.json"), atomically: true, encoding: .utf8)
        try "module.exports = 'shr';".write(to: package.appendingPathComponent("index.js"), atomically: true, encoding: .utf8)
        try """
        {"name":"shr","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
          "":{"name":"shr","version":"1.0.0","dependencies":{"evil":"1.0.0"}},
          "node_modules/evil":{"resolved":"../../../../outside","link":true},
          "../../../../outside":{"name":"evil","version":"1.0.0"}}}
        """.write(to: package.appendingPathComponent("npm-shrinkwrap.json"), atomically: true, encoding: .utf8)
        return package
    }

    @Test("a registry package whose shrinkwrap links out of the bundle: the action fails naming the link, and no bundle is left")
    func shrinkwrapLink() async throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let outside = work.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "the server's secret".write(to: outside.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        let packages = work.appendingPathComponent("packages")
        for package in [try Self.makeShrinkwrapLinkPackage(in: packages), try DependencyInstallTests.makePackage(in: packages)] {
            let (status, output) = try await DependencyInstallTests.npm(["pack", "--silent", package.path], in: packages.path)
            #expect(status == 0, "\(output)")
        }
        let registry = try FakeRegistry(serving: packages)
        defer { registry.stop() }
        let bundles = work.appendingPathComponent("bundles").path
        var configuration = TestServer.configuration()
        configuration.bundlesDirectory = bundles
        configuration.npmRegistry = registry.url
        configuration.actionsDependencySources = packages.path
        try await TestServer.run(configuration) { client in
            let token = try await client.managementToken()
            func create(_ name: String, _ dependency: String, _ version: String, code: String) async throws -> String {
                let created = try await client.json(
                    .post, "/api/v2/actions/actions",
                    .object([
                        "name": .string(name), "code": .string(code),
                        "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                        "dependencies": .array([.object(["name": .string(dependency), "version": .string(version)])]),
                    ]), token: token)
                return try #require(created.json["id"]?.stringValue, "\(created.text)")
            }
            let evil = try await create("evil", "shr", "1.0.0", code: "exports.onExecutePostLogin = async () => {};")
            let failed = try await ActionsAPITests.built(client, token, evil)
            #expect(failed.json["status"] == "failed", "\(failed.text)")
            let errors = failed.json["errors"]?.arrayValue ?? []
            #expect(errors.count == 1 && errors.first?["id"] == "dependency_install_failed", "\(failed.text)")
            let message = errors.first?["msg"]?.stringValue ?? ""
            #expect(message.contains("node_modules/shr/node_modules/evil is a link that leads outside the bundle"), "\(message)")
            #expect(message.contains("remove or replace the package that installs it"), "\(message)")
            #expect(try await client.json(.post, "/api/v2/actions/actions/\(evil)/deploy", token: token).status == .badRequest)
            let key = DependencyInstaller.bundleKey([ActionDependency(name: "shr", version: "1.0.0")])
            #expect(!FileManager.default.fileExists(atPath: bundles + "/" + key), "no bundle a worker could require it from")

            // A clean local tarball the operator allows builds, and its package can be required.
            let shout = try await create(
                "shout", "tiny-shout", "file:\(packages.path)/tiny-shout-1.0.0.tgz",
                code: "const shout = require('tiny-shout'); "
                    + "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/s', shout('hi')); };")
            let built = try await ActionsAPITests.built(client, token, shout)
            #expect(built.json["status"] == "built", "\(built.text)")
            let tested = try await client.json(
                .post, "/api/v2/actions/actions/\(shout)/test", .object(["payload": .object(["user": .object([:])])]), token: token)
            #expect(
                tested.json["payload"]?["actions"]?.arrayValue?.first?["commands"]?.arrayValue?.first?["args"]
                    == .array(["https://x/s", "HI!"]), "\(tested.text)")
        }
    }
}
