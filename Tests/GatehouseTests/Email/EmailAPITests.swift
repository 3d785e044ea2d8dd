import Foundation
import GatehouseCore
import GatehouseIdentity
import Hummingbird
import Testing

@Suite("Management API: the e-mail provider and e-mail templates (Auth0's paths, shapes and errors)")
struct EmailAPITests {
    static let smtp: JSONValue = .object([
        "name": "smtp", "enabled": true, "default_from_address": "no-reply@example.com",
        "credentials": .object([
            "smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "mailer", "smtp_pass": "hunter2-very-secret",
        ]),
    ])

    @Test("provider: 404 before, created with 201, credentials returned without smtp_pass (sealed at rest), patched, deleted")
    func provider() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let missing = try await client.json(.get, "/api/v2/emails/provider", token: fixtures.token)
            #expect(missing.status == .notFound && missing.json["errorCode"] == "inexistent_email_provider", "\(missing.text)")
            #expect(missing.json["statusCode"] == 404 && missing.json["error"] == "Not Found")

            let created = try await client.json(.post, "/api/v2/emails/provider", Self.smtp, token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            let expected: JSONValue = .object([
                "name": "smtp", "enabled": true, "default_from_address": "no-reply@example.com",
                "credentials": .object(["smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "mailer"]),
            ])
            #expect(created.json == expected)
            let read = try await client.json(.get, "/api/v2/emails/provider", token: fixtures.token)
            #expect(read.json == expected && !read.text.contains("hunter2"))
            // At rest the password is sealed: the database holds no plain copy.
            let row = try await client.server.services.storage.database.read { db in
                try await db.raw("SELECT document, sealed_password FROM email_provider").first()
            }
            let document = try #require(try row?.decode(column: "document", as: String.self))
            let sealed = try #require(try row?.decode(column: "sealed_password", as: String.self))
            #expect(!document.contains("hunter2") && !sealed.contains("hunter2"))
            #expect(try await client.server.services.storage.read { try await $0.email.provider() }?.smtpPassword == "hunter2-very-secret")

            let again = try await client.json(.post, "/api/v2/emails/provider", Self.smtp, token: fixtures.token)
            #expect(again.status == .conflict, "\(again.text)")

            // PATCH: members left out keep their value, the password too.
            let patched = try await client.json(
                .patch, "/api/v2/emails/provider",
                .object([
                    "default_from_address": "hello@example.com",
                    "credentials": .object(["smtp_host": "mail.example.net", "smtp_port": 465]),
                ]),
                token: fixtures.token)
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(
                patched.json["default_from_address"] == "hello@example.com"
                    && patched.json["credentials"]?["smtp_host"] == "mail.example.net")
            #expect(patched.json["credentials"]?["smtp_user"] == "mailer" && patched.json["credentials"]?["smtp_pass"] == nil)
            #expect(try await client.server.services.storage.read { try await $0.email.provider() }?.smtpPassword == "hunter2-very-secret")

            let custom = try await client.json(.patch, "/api/v2/emails/provider", .object(["name": "custom"]), token: fixtures.token)
            #expect(
                custom.json == .object(["name": "custom", "enabled": true, "default_from_address": "hello@example.com"]), "\(custom.text)")
            #expect(try await client.server.services.storage.read { try await $0.email.provider() }?.smtpPassword == nil)

            // The write is in the tenant log, without its body.
            let logs = try await client.json(.get, "/api/v2/logs?per_page=100", token: fixtures.token)
            #expect(logs.text.contains("/api/v2/emails/provider") && !logs.text.contains("hunter2"))

            let deleted = try await client.json(.delete, "/api/v2/emails/provider", token: fixtures.token)
            #expect(deleted.status == .noContent)
            #expect(try await client.json(.get, "/api/v2/emails/provider", token: fixtures.token).status == .notFound)
        }
    }

    @Test("provider validation: Auth0's other providers refused by name, missing credentials, bad values; all 400 in Auth0's shape")
    func providerValidation() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            for name in ["mailgun", "sendgrid", "ses", "mandrill", "sparkpost", "azure_cs", "ms365"] {
                let refused = try await client.json(
                    .post, "/api/v2/emails/provider", .object(["name": .string(name), "credentials": .object(["api_key": "k"])]),
                    token: fixtures.token)
                #expect(
                    refused.status == .badRequest && refused.json["errorCode"] == "unsupported_email_provider", "\(name): \(refused.text)")
                let message = refused.json["message"]?.stringValue ?? ""
                #expect(message.contains(name) && message.contains("smtp") && message.contains("custom"), "\(message)")
            }
            let bodies: [JSONValue] = [
                .object([:]), .object(["name": "carrier-pigeon"]), .object(["name": "smtp"]),
                .object(["name": "smtp", "credentials": .object(["smtp_host": "h", "smtp_port": 70_000])]),
                .object(["name": "smtp", "credentials": .object(["smtp_host": "h", "smtp_port": 25, "smtp_user": "u"])]),
                .object([
                    "name": "smtp", "default_from_address": "not an address", "credentials": .object(["smtp_host": "h", "smtp_port": 25]),
                ]),
                .object(["name": "smtp", "enabled": "yes", "credentials": .object(["smtp_host": "h", "smtp_port": 25])]),
                .object(["name": "custom", "extra": 1]),
            ]
            for body in bodies {
                let reply = try await client.json(.post, "/api/v2/emails/provider", body, token: fixtures.token)
                #expect(reply.status == .badRequest, "\(body.jsonText()): \(reply.text)")
                #expect(reply.json["statusCode"] == 400 && reply.json["error"] == "Bad Request" && reply.json["message"] != nil)
            }
            let patchNone = try await client.json(.patch, "/api/v2/emails/provider", .object(["enabled": false]), token: fixtures.token)
            #expect(patchNone.status == .notFound)
            let readOnly = try await client.managementToken(scope: "read:email_provider")
            let forbidden = try await client.json(.post, "/api/v2/emails/provider", Self.smtp, token: readOnly)
            #expect(forbidden.status == .forbidden, "\(forbidden.text)")
        }
    }

    @Test("templates: built-in defaults readable, created, replaced, patched; unknown names, Liquid tags and bad fields refused")
    func templates() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let builtIn = try await client.json(.get, "/api/v2/email-templates/verify_email", token: fixtures.token)
            #expect(
                builtIn.status == .ok && builtIn.json["template"] == "verify_email" && builtIn.json["syntax"] == "liquid", "\(builtIn.text)"
            )
            #expect(builtIn.json["body"]?.stringValue?.contains("{{ url }}") == true)
            let unset = try await client.json(.get, "/api/v2/email-templates/mfa_oob_code", token: fixtures.token)
            #expect(unset.status == .notFound && unset.json["errorCode"] == "inexistent_email_template", "\(unset.text)")
            let unknown = try await client.json(.get, "/api/v2/email-templates/carrier_pigeon", token: fixtures.token)
            #expect(unknown.status == .notFound)

            let body: JSONValue = .object([
                "template": "verify_email", "body": "<p>Hi {{ user.name }}: <a href=\"{{ url }}\">verify</a></p>",
                "subject": "Verify for {{ application.name }}", "from": "Example <no-reply@example.com>", "syntax": "liquid",
                "enabled": true, "urlLifetimeInSeconds": 3600, "resultUrl": "https://app.example/done", "includeEmailInRedirect": false,
            ])
            let created = try await client.json(.post, "/api/v2/email-templates", body, token: fixtures.token)
            #expect(created.status == .created && created.json == body, "\(created.text)")
            let duplicate = try await client.json(.post, "/api/v2/email-templates", body, token: fixtures.token)
            #expect(duplicate.status == .conflict, "\(duplicate.text)")
            let patched = try await client.json(
                .patch, "/api/v2/email-templates/verify_email", .object(["subject": "Please verify"]), token: fixtures.token)
            #expect(patched.status == .ok && patched.json["subject"] == "Please verify" && patched.json["urlLifetimeInSeconds"] == 3600)
            #expect(try await client.json(.get, "/api/v2/email-templates/verify_email", token: fixtures.token).json == patched.json)

            // PATCH over a built-in default: welcome_email is disabled until enabled.
            let welcome = try await client.json(
                .patch, "/api/v2/email-templates/welcome_email", .object(["enabled": true]), token: fixtures.token)
            #expect(welcome.status == .ok && welcome.json["enabled"] == true && welcome.json["body"]?.stringValue != nil)

            let put = try await client.json(
                .put, "/api/v2/email-templates/reset_email",
                .object(["template": "reset_email", "body": "<p>{{ url }}</p>", "subject": "Reset", "syntax": "liquid", "enabled": true]),
                token: fixtures.token)
            #expect(put.status == .ok && put.json["body"] == "<p>{{ url }}</p>", "\(put.text)")

            let refusals: [(HTTPRequest.Method, String, JSONValue, String?)] = [
                (
                    .post, "/api/v2/email-templates", .object(["template": "verify_email_by_code", "body": "{% if user %}x{% endif %}"]),
                    "Liquid tag"
                ),
                (.patch, "/api/v2/email-templates/verify_email", .object(["body": "{{ user.name | upcase }}"]), "Liquid filter"),
                (.patch, "/api/v2/email-templates/verify_email", .object(["syntax": "handlebars"]), nil),
                (.patch, "/api/v2/email-templates/verify_email", .object(["from": "nobody"]), nil),
                (.patch, "/api/v2/email-templates/verify_email", .object(["urlLifetimeInSeconds": -1]), nil),
                (.patch, "/api/v2/email-templates/verify_email", .object(["template": "reset_email"]), nil),
                (.put, "/api/v2/email-templates/reset_email", .object(["template": "reset_email"]), nil),
                (.post, "/api/v2/email-templates", .object(["template": "carrier_pigeon"]), nil),
            ]
            for (method, path, body, expected) in refusals {
                let reply = try await client.json(method, path, body, token: fixtures.token)
                #expect(reply.status == .badRequest, "\(method) \(path) \(body.jsonText()): \(reply.text)")
                if let expected { #expect(reply.json["message"]?.stringValue?.contains(expected) == true, "\(reply.text)") }
            }
        }
    }
}
