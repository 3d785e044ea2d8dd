import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What an account's life puts in the outbox (`AccountMail`): the sign-up's verification e-mail
/// written with the user, the Management API's `verify_email`, the verification job and its
/// status, and the reset e-mail that never says whether an address has an account. The SMTP
/// provider points at a closed port, so every message stays in the outbox, retried.
@Suite("Account e-mails in the outbox: written with the change, a job that reports its delivery")
struct AccountMailTests {
    /// A loopback port nothing listens on.
    static func closedPort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// E-mails in the outbox, whatever their state.
    static func emailsInOutbox(_ client: TestClient) async throws -> Int {
        try await client.server.services.storage.read { try await $0.outbox.counts() }.values.reduce(0, +)
    }

    static func withUnreachableMailServer(_ body: @Sendable (TestClient, Fixtures) async throws -> Void) async throws {
        let port = try closedPort()
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await SMTPDeliveryTests.configure(client, fixtures.token, port: port)
            try await body(client, fixtures)
        }
    }

    @Test("a sign-up writes its verification e-mail with the user; a refused sign-up writes none")
    func signupWritesItsEmail() async throws {
        try await Self.withUnreachableMailServer { client, fixtures in
            let app = try await fixtures.createApp()
            let body: JSONValue = .object([
                "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": "new@example.com",
                "password": "correct-horse-battery",
            ])
            let signup = try await client.json(.post, "/dbconnections/signup", body)
            #expect(signup.status == .ok, "\(signup.text)")
            #expect(try await Self.emailsInOutbox(client) == 1, "the verification e-mail is in the outbox when the sign-up answers")
            let again = try await client.json(.post, "/dbconnections/signup", body)
            #expect(again.status == .badRequest && again.json["code"] == "user_exists", "\(again.text)")
            #expect(try await Self.emailsInOutbox(client) == 1, "the refused sign-up sent nothing")
        }
    }

    @Test("POST /api/v2/users: verify_email decides, else email_verified does")
    func managementVerifyEmail() async throws {
        try await Self.withUnreachableMailServer { client, fixtures in
            func create(_ email: String, _ extra: [String: JSONValue]) async throws {
                var body: [String: JSONValue] = [
                    "connection": "Username-Password-Authentication", "email": .string(email), "password": "correct-horse-battery",
                ]
                body.merge(extra) { _, new in new }
                let reply = try await client.json(.post, "/api/v2/users", .object(body), token: fixtures.token)
                #expect(reply.status == .created, "\(reply.text)")
            }
            try await create("a@example.com", ["verify_email": false])
            try await create("b@example.com", ["email_verified": true])
            #expect(try await Self.emailsInOutbox(client) == 0)
            try await create("c@example.com", ["email_verified": true, "verify_email": true])
            #expect(try await Self.emailsInOutbox(client) == 1)
            try await create("d@example.com", [:])
            #expect(try await Self.emailsInOutbox(client) == 2)
        }
    }

    @Test("a verification job is its e-mail: GET /jobs/{id} says it is not delivered yet; other ids are 404 inexistent_job")
    func verificationJob() async throws {
        try await Self.withUnreachableMailServer { client, fixtures in
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            let created = try await client.json(
                .post, "/api/v2/jobs/verification-email", .object(["user_id": .string(userID), "client_id": .string(app.id)]),
                token: fixtures.token)
            #expect(created.status == .created && created.json["status"] == "pending", "\(created.text)")
            let id = try #require(created.json["id"]?.stringValue)
            let job = try await client.json(.get, "/api/v2/jobs/\(id)", token: fixtures.token)
            #expect(job.status == .ok && job.json["id"] == .string(id) && job.json["type"] == "verification_email", "\(job.text)")
            #expect(["pending", "processing"].contains(job.json["status"]?.stringValue ?? ""), "\(job.text)")

            // A reset e-mail is in the outbox too, but it is not a job.
            let reset = try await client.json(
                .post, "/dbconnections/change_password",
                .object(["client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": "jane@example.com"]))
            #expect(reset.status == .ok, "\(reset.text)")
            for unknown in ["job_nothing", "nothing", "job_" + String(repeating: "a", count: 200), "job_%27%20OR%201%3D1"] {
                let missing = try await client.json(.get, "/api/v2/jobs/\(unknown)", token: fixtures.token)
                #expect(missing.status == .notFound && missing.json["errorCode"] == "inexistent_job", "\(unknown): \(missing.text)")
            }
            let noScope = try await client.json(.get, "/api/v2/jobs/\(id)")
            #expect(noScope.status == .unauthorized)
        }
    }

    @Test("/dbconnections/change_password answers the same for a stranger and writes no e-mail for them")
    func resetNeverSaysWhoExists() async throws {
        try await Self.withUnreachableMailServer { client, fixtures in
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            func ask(_ email: String) async throws -> TestClient.Reply {
                try await client.json(
                    .post, "/dbconnections/change_password",
                    .object(["client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": .string(email)]))
            }
            let before = try await Self.emailsInOutbox(client)  // the new user's verification e-mail
            let known = try await ask("jane@example.com")
            let stranger = try await ask("nobody@example.com")
            #expect(known.status == .ok && stranger.status == .ok)
            #expect(known.text == stranger.text, "the answer does not tell whether the address has an account")
            #expect(try await Self.emailsInOutbox(client) == before + 1, "only the user's reset e-mail")
        }
    }
}
