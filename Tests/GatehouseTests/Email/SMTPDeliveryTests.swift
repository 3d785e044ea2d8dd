import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseMail
import GatehouseStorage
import Testing

@testable import GatehouseSandbox

/// A real SMTP server (aiosmtpd, `e2e/smtp_capture.py`) on loopback, started per test from the
/// end-to-end suite's virtual environment (`.venv-e2e`, see e2e/README.md). Skipped when it is
/// not there.
final class SMTPCaptureServer: @unchecked Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv-e2e/bin/python").path
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: python)
            && FileManager.default.fileExists(atPath: repository.appendingPathComponent(".venv-e2e/lib").path)
    }

    let process: ChildProcess
    let input = Pipe()
    let directory: URL
    let port: Int
    let caFile: String?

    init(_ options: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        let output = Pipe()
        process = try ChildProcess(
            executable: Self.python,
            arguments: [Self.repository.appendingPathComponent("e2e/smtp_capture.py").path, directory.path] + options,
            environment: ProcessInfo.processInfo.environment, directory: Self.repository.path,
            standardInput: input.fileHandleForReading.fileDescriptor, standardOutput: output.fileHandleForWriting.fileDescriptor,
            standardError: FileHandle.standardError.fileDescriptor)
        try? input.fileHandleForReading.close()
        try? output.fileHandleForWriting.close()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let ready = JSONValue(jsonText: String(decoding: line, as: UTF8.self)), let port = ready["port"]?.numberValue else {
            process.signal(SIGTERM)
            throw TestFailure("the SMTP server did not start: \(String(decoding: line, as: UTF8.self))")
        }
        self.port = Int(port)
        caFile = ready["ca_file"]?.stringValue
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        _ = process.waitUntilEnded()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The messages the server accepted, in order.
    func messages() throws -> [JSONValue] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try files.filter { $0.hasSuffix(".json") }.sorted().map { name in
            JSONValue(jsonText: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? .null
        }
    }
}

@Suite(
    "SMTP delivery against a real server (aiosmtpd): STARTTLS, AUTH PLAIN and LOGIN, MIME as Python reads it, failures by kind",
    .enabled(if: SMTPCaptureServer.available, "needs .venv-e2e with aiosmtpd (e2e/README.md)"), .serialized)
struct SMTPDeliveryTests {
    static func user() -> UserRecord {
        UserRecord(
            user_id: "auth0|u1", connection: "Username-Password-Authentication", email: "jane@example.org", name: "Zoë <Jane>",
            created_at: "2025-01-01T00:00:00.000Z", updated_at: "2025-01-01T00:00:00.000Z")
    }

    static func configure(_ client: TestClient, _ token: String, port: Int, user: String? = "mailer", password: String = "s3cret-pass")
        async throws
    {
        var credentials: [String: JSONValue] = ["smtp_host": "localhost", "smtp_port": .number(Double(port))]
        if let user {
            credentials["smtp_user"] = .string(user)
            credentials["smtp_pass"] = .string(password)
        }
        let reply = try await client.json(
            .post, "/api/v2/emails/provider",
            .object(["name": "smtp", "default_from_address": "Gatehouse <no-reply@gatehouse.example>", "credentials": .object(credentials)]
            ),
            token: token)
        #expect(reply.status == .created, "\(reply.text)")
    }

    static func server(caFile: String?) -> GatehouseConfiguration {
        var configuration = TestServer.configuration()
        configuration.smtpCAFile = caFile
        return configuration
    }

    @Test("a templated e-mail over STARTTLS with AUTH PLAIN: Python's email package reads the subject, both parts, the headers")
    func delivered() async throws {
        let smtp = try SMTPCaptureServer()
        defer { smtp.stop() }
        try await TestServer.run(Self.server(caFile: smtp.caFile)) { client in
            let fixtures = try await Fixtures.make(client)
            try await Self.configure(client, fixtures.token, port: smtp.port)
            _ = try await client.json(
                .patch, "/api/v2/email-templates/verify_email",
                .object([
                    "subject": "Vérifiez votre adresse, {{ user.name }} ✓",
                    "body": "<p>Bonjour {{ user.name }}, <a href=\"{{ url }}\">vérifier</a></p>",
                ]),
                token: fixtures.token)
            let outcome = try await client.server.services.email.send(
                EmailRequest(template: .verifyEmail, user: Self.user(), url: "https://id.example/verify?ticket=abc&x=1"))
            #expect(outcome == .delivered)
            let messages = try smtp.messages()
            let message = try #require(messages.first)
            #expect(messages.count == 1)
            #expect(message["tls"] == true && message["authenticated"] == true)
            #expect(message["mail_from"] == "no-reply@gatehouse.example" && message["rcpt_tos"] == .array(["jane@example.org"]))
            #expect(message["subject"] == "Vérifiez votre adresse, Zoë <Jane> ✓", "\(message)")
            #expect(message["from"] == "Gatehouse <no-reply@gatehouse.example>" && message["to"] == "jane@example.org")
            #expect(message["content_type"] == "multipart/alternative")
            #expect(
                message["html"]?.stringValue?.contains(
                    "Bonjour Zoë &lt;Jane&gt;, <a href=\"https://id.example/verify?ticket=abc&amp;x=1\">") == true)
            #expect(message["text"]?.stringValue?.contains("vérifier (https://id.example/verify?ticket=abc&x=1)") == true, "\(message)")
            #expect(message["message_id"]?.stringValue?.hasSuffix("@gatehouse.example>") == true && message["date"]?.stringValue != nil)
        }
    }

    @Test("AUTH LOGIN when PLAIN is not offered")
    func login() async throws {
        let smtp = try SMTPCaptureServer(["--no-plain"])
        defer { smtp.stop() }
        let client = SMTPClient(
            configuration: SMTPConfiguration(
                host: "localhost", port: smtp.port, username: "mailer", password: "s3cret-pass", trustedCAFile: smtp.caFile))
        try await client.send(
            MailMessage(from: try MailAddress("a@example.com"), to: try MailAddress("b@example.com"), subject: "Login", text: ".dot\nline"))
        let message = try #require(try smtp.messages().first)
        #expect(message["authenticated"] == true && message["text"]?.stringValue?.hasPrefix(".dot\nline") == true, "\(message)")
    }

    static func failure(_ configuration: SMTPConfiguration, to: String = "b@example.com") async -> SMTPError? {
        do {
            try await SMTPClient(configuration: configuration).send(
                MailMessage(from: try MailAddress("a@example.com"), to: try MailAddress(to), subject: "x", text: "x"))
            return nil
        } catch {
            return error as? SMTPError
        }
    }

    @Test(
        "failures by kind: wrong password and untrusted certificate are permanent, 451 and a closed port transient; no password in errors")
    func failures() async throws {
        let smtp = try SMTPCaptureServer()
        defer { smtp.stop() }
        let wrong = await Self.failure(
            SMTPConfiguration(
                host: "localhost", port: smtp.port, username: "mailer", password: "not-the-password", trustedCAFile: smtp.caFile))
        #expect(wrong?.kind == .permanent && wrong?.step == "AUTH PLAIN" && wrong?.reply?.code == 535, "\(String(describing: wrong))")
        #expect(wrong.map { !"\($0)".contains("not-the-password") } == true)

        let untrusted = await Self.failure(
            SMTPConfiguration(host: "localhost", port: smtp.port, username: "mailer", password: "s3cret-pass"))
        #expect(
            untrusted?.kind == .permanent && untrusted?.step == "EHLO" && "\(untrusted!)".contains("TLS failed"),
            "\(String(describing: untrusted))")

        let busy = await Self.failure(
            SMTPConfiguration(host: "localhost", port: smtp.port, username: "mailer", password: "s3cret-pass", trustedCAFile: smtp.caFile),
            to: "busy@example.com")
        #expect(busy?.kind == .transient && busy?.step == "RCPT TO" && busy?.reply?.code == 451, "\(String(describing: busy))")

        let closed = await Self.failure(SMTPConfiguration(host: "127.0.0.1", port: 9, requireTLS: false))
        #expect(closed?.kind == .transient && closed?.step == "connect", "\(String(describing: closed))")
    }

    @Test("credentials are never sent without TLS: a server without STARTTLS is refused before AUTH")
    func requiresTLS() async throws {
        let smtp = try SMTPCaptureServer(["--no-tls"])
        defer { smtp.stop() }
        let refused = await Self.failure(SMTPConfiguration(host: "localhost", port: smtp.port, username: "mailer", password: "s3cret-pass"))
        #expect(refused?.kind == .permanent && refused?.step == "STARTTLS", "\(String(describing: refused))")
        // Without credentials, and when the operator allows it, plain text delivers.
        let plain = await Self.failure(SMTPConfiguration(host: "localhost", port: smtp.port, requireTLS: false))
        #expect(plain == nil, "\(String(describing: plain))")
        #expect(try smtp.messages().first?["tls"] == false)
    }
}
