import Foundation
import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Bootstrap credentials and the tenant log's names") struct BootstrapCredentialsTests {
    /// A fresh SQLite file with a generated bootstrap secret, in a directory of its own.
    static func fileConfiguration() throws -> (GatehouseConfiguration, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = TestServer.configuration(database: "sqlite://\(directory.path)/gatehouse.sqlite")
        configuration.bootstrapClientID = nil
        configuration.bootstrapClientSecret = nil
        return (configuration, directory)
    }

    static func credentials(at path: String) throws -> (id: String, secret: String) {
        let document = try #require(JSONValue(jsonText: try String(contentsOfFile: path, encoding: .utf8)))
        return (try #require(document["client_id"]?.stringValue), try #require(document["client_secret"]?.stringValue))
    }

    static func exchange(_ client: TestClient, id: String, secret: String) async throws -> TestClient.Reply {
        try await client.form(
            "/oauth/token",
            [
                "grant_type": "client_credentials", "client_id": id, "client_secret": secret,
                "audience": TestServer.issuer + "api/v2/",
            ])
    }

    @Test("first start writes the generated credentials beside the database, mode 0600; they work and can be rotated")
    func fileAndRotation() async throws {
        let (configuration, directory) = try Self.fileConfiguration()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/gatehouse.sqlite.credentials"
        #expect(configuration.credentialsFile == path)
        try await TestServer.run(configuration) { client in
            #expect(client.server.bootstrap.credentialsFile == path)
            #expect(PrivateFiles.isPrivate(path))
            let first = try Self.credentials(at: path)
            #expect(try await Self.exchange(client, id: first.id, secret: first.secret).status == .ok)

            // `gatehouse credentials` without --rotate: the same secret, read back from the database.
            let storage = client.server.services.storage
            let again = try await BootstrapCredentials.current(storage: storage, rotate: false)
            #expect(again.clientID == first.id && again.secret == first.secret)

            // --rotate: a new secret works at once, the old one no longer does.
            let rotated = try await BootstrapCredentials.current(storage: storage, rotate: true)
            #expect(rotated.clientID == first.id && rotated.secret != first.secret)
            #expect(try await Self.exchange(client, id: first.id, secret: rotated.secret).status == .ok)
            #expect(try await Self.exchange(client, id: first.id, secret: first.secret).status == .unauthorized)
            let written = try #require(
                try BootstrapCredentials.write(clientID: rotated.clientID, secret: rotated.secret, configuration: configuration))
            #expect(try Self.credentials(at: written).secret == rotated.secret)
            #expect(PrivateFiles.isPrivate(written))
        }
    }

    @Test("credentials given in the environment are not written anywhere")
    func givenCredentialsAreNotWritten() async throws {
        var (configuration, directory) = try Self.fileConfiguration()
        let path = directory.path + "/gatehouse.sqlite.credentials"
        defer { try? FileManager.default.removeItem(at: directory) }
        configuration.bootstrapClientID = TestServer.bootstrapID
        configuration.bootstrapClientSecret = TestServer.bootstrapSecret
        try await TestServer.run(configuration) { client in
            #expect(client.server.bootstrap.credentialsFile == nil)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("token exchanges and failed logins carry user_name in the tenant log, as Auth0's do")
    func userNameInLogs() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createAPI()
            try await fixtures.createUser()
            var fields = PostLoginTests.passwordRealm(app)
            #expect(try await client.form("/oauth/token", fields).status == .ok)
            fields["password"] = "wrong-password-here"
            #expect(try await client.form("/oauth/token", fields).status != .ok)
            await client.server.services.flows?.recorder.flush()
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let success = try #require(logs.first { $0["type"] == "sepft" })
            #expect(success["user_name"] == "jane@example.com")
            #expect(success["user_id"]?.stringValue?.hasPrefix("auth0|") == true)
            let failure = try #require(logs.first { $0["type"]?.stringValue?.hasPrefix("f") == true })
            #expect(failure["user_name"] == "jane@example.com")
        }
    }
}
