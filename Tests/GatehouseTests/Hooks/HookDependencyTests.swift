import Foundation
import GatehouseCore
import GatehouseSandbox
import Testing

@Suite("Hooks: dependencies installed with the same containment as actions'") struct HookDependencyTests {
    @Test("a hook's dependency (an npm pack tarball from an allowed source) is installed on save and loads with require")
    func dependencies() async throws {
        let work = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let tarball = try await DependencyInstallTests.packedPackage(in: work)
        var configuration = TestServer.configuration()
        configuration.bundlesDirectory = work.appendingPathComponent("bundles").path
        configuration.actionsDependencySources = work.path
        try await TestServer.run(configuration) { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let created = try await client.json(
                .post, "/api/v2/hooks",
                .object([
                    "name": "shouting-signup", "triggerId": "pre-user-registration",
                    "dependencies": .object(["tiny-shout": .string("file:\(tarball.path)")]),
                    "script": """
                    const shout = require('tiny-shout');
                    module.exports = function (user, context, cb) {
                      cb(null, { user: { user_metadata: { greeting: shout('welcome') } } });
                    };
                    """,
                ]), token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["dependencies"] == .object(["tiny-shout": .string("file:\(tarball.path)")]))
            #expect(created.json["nodeModules"] == nil, "the bundle's path stays inside")

            let signed = try await PreUserRegistrationTests.signup(client, app, email: "loud@example.com")
            #expect(signed.status == .ok, "\(signed.text)")
            let users = try await client.json(.get, "/api/v2/users-by-email?email=loud@example.com", token: fixtures.token)
            #expect(users.json.arrayValue?.first?["user_metadata"]?["greeting"] == "WELCOME!", "\(users.text)")

            // A package that does not install is refused when the hook is saved.
            let broken = try await client.json(
                .patch, "/api/v2/hooks/\(try #require(created.json["id"]?.stringValue))",
                .object(["dependencies": .object(["tiny-shout": .string("file:\(work.path)/missing-9.9.9.tgz")])]), token: fixtures.token)
            #expect(broken.status == .badRequest)
            #expect(broken.json["message"]?.stringValue?.contains("could not be installed") == true, "\(broken.text)")
        }
    }
}
