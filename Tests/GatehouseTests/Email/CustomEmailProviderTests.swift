import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Testing

@Suite("custom-email-provider: the bound action delivers every message; drop, retry and a throw as the outbox needs them")
struct CustomEmailProviderTests {
    /// Records the event, or drops, asks for a retry or throws, by recipient.
    static let action = """
        exports.onExecuteCustomEmailProvider = async (event, api) => {
          const to = event.notification.to;
          if (to.startsWith('drop')) { api.notification.retry('first'); api.notification.drop('mailbox closed'); return; }
          if (to.startsWith('retry')) { api.notification.retry('gateway busy'); return; }
          if (to.startsWith('throw')) { throw new Error('gateway exploded'); }
          api.cache.set('last', JSON.stringify({ notification: event.notification, user: event.user, client: event.client,
            tenant: event.tenant, request: event.request, keys: Object.keys(event).sort() }));
        };
        """

    static func user(_ email: String) -> UserRecord {
        UserRecord(
            user_id: "auth0|u1", connection: "Username-Password-Authentication", email: email, name: "Jane Doe",
            created_at: "2025-01-01T00:00:00.000Z", updated_at: "2025-01-01T00:00:00.000Z")
    }

    static func expectDeliveryError(_ kind: EmailDeliveryError.Kind, containing text: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected a \(kind) failure")
        } catch let error as EmailDeliveryError {
            #expect(error.kind == kind && error.message.contains(text), "\(error)")
        } catch {
            Issue.record("expected EmailDeliveryError, got \(error)")
        }
    }

    @Test("the event has Auth0's notification fields; drop ends it, retry and a throw are transient, no binding is permanent")
    func outcomes() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Shop")
            let appRecord = try await client.server.services.storage.read { try await $0.clients.get(app.id) }
            let email = client.server.services.email
            let provider = try await client.json(
                .post, "/api/v2/emails/provider", .object(["name": "custom", "default_from_address": "Shop <no-reply@shop.example>"]),
                token: fixtures.token)
            #expect(provider.status == .created, "\(provider.text)")
            let request = ActionEventRequest(
                ip: "203.0.113.9", method: "POST", hostname: "id.shop.example", userAgent: "test", language: "fr")

            await Self.expectDeliveryError(.permanent, containing: "no action is bound") {
                _ = try await email.send(EmailRequest(template: .verifyEmail, user: Self.user("jane@example.com"), url: "https://v"))
            }
            try await fixtures.bind([.init(name: "mailer", code: Self.action)], to: "custom-email-provider", version: "v1")

            let outcome = try await email.send(
                EmailRequest(
                    template: .verifyEmail, user: Self.user("jane@example.com"), client: appRecord, url: "https://id.example/v?t=1",
                    locale: "fr", request: request))
            #expect(outcome == .delivered)
            let entries = try await client.server.services.storage.read {
                try await $0.actionCache.entries(trigger: CustomEmailProvider.trigger, now: Timestamp.nowMillis())
            }
            let recorded = try #require(entries.first { $0.key == "last" }?.value)
            let sent = try #require(JSONValue(jsonText: recorded))
            let notification = try #require(sent["notification"]?.objectValue)
            #expect(notification["to"] == "jane@example.com" && notification["from"] == "\"Shop\" <no-reply@shop.example>")
            #expect(notification["message_type"] == "verify_email" && notification["locale"] == "fr")
            #expect(notification["subject"]?.stringValue?.contains("localhost") == true, "\(notification)")
            #expect(notification["html"]?.stringValue?.contains("https://id.example/v?t=1") == true)
            #expect(notification["text"]?.stringValue?.contains("https://id.example/v?t=1") == true)
            #expect(sent["user"]?["user_id"] == "auth0|u1" && sent["user"]?["email"] == "jane@example.com")
            #expect(sent["client"]?["client_id"] == .string(app.id) && sent["client"]?["name"] == "Shop")
            #expect(sent["tenant"]?["id"] == "localhost" && sent["request"]?["ip"] == "203.0.113.9")
            let sample = (try SampleEventsFile.keys("custom-email-provider") + ["secrets"]).sorted()
            #expect(sent["keys"] == .array(sample.map(JSONValue.string)), "\(sent["keys"] ?? .null) vs \(sample)")

            // The last call wins: retry then drop is a drop.
            let dropped = try await email.send(EmailRequest(template: .verifyEmail, user: Self.user("drop@example.com"), url: "https://v"))
            #expect(dropped == .dropped(reason: "mailbox closed"))
            await Self.expectDeliveryError(.transient, containing: "gateway busy") {
                _ = try await email.send(EmailRequest(template: .verifyEmail, user: Self.user("retry@example.com"), url: "https://v"))
            }
            await Self.expectDeliveryError(.transient, containing: "gateway exploded") {
                _ = try await email.send(EmailRequest(template: .verifyEmail, user: Self.user("throw@example.com"), url: "https://v"))
            }
            // A disabled template sends nothing; a disabled provider refuses permanently.
            #expect(try await email.send(EmailRequest(template: .welcomeEmail, user: Self.user("jane@example.com"))) == nil)
            _ = try await client.json(.patch, "/api/v2/emails/provider", .object(["enabled": false]), token: fixtures.token)
            await Self.expectDeliveryError(.permanent, containing: "disabled") {
                _ = try await email.send(EmailRequest(template: .verifyEmail, user: Self.user("jane@example.com"), url: "https://v"))
            }
        }
    }

    @Test("an OutgoingEmail survives a JSON round trip unchanged (what the outbox stores)")
    func codable() throws {
        let email = OutgoingEmail(
            messageType: "reset_email", from: "a@b.c", to: "d@e.f", subject: "S", html: "<p>h</p>", text: "h", locale: "en", id: "0a",
            user: .object(["user_id": "auth0|1"]), client: nil, connection: .object(["name": "db"]), request: .object(["ip": "::1"]))
        let data = try JSONEncoder().encode(email)
        #expect(try JSONDecoder().decode(OutgoingEmail.self, from: data) == email)
    }
}
