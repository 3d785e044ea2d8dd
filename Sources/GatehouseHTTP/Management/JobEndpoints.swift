import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `POST /api/v2/jobs/verification-email` (Auth0 Management API "Jobs"): e-mails the user a
/// verification link (`AccountMail`). The message is in the outbox when the call answers; the
/// job is answered `completed` at once because there is nothing left to run but the delivery,
/// which the outbox retries on its own.
struct JobEndpoints {
    let services: IdentityServices

    struct VerificationEmailBody: Codable, Sendable {
        var user_id: String?
        var client_id: String?
    }

    static let jobSchema = JSONSchema.object(
        ["id": .string(), "type": .string(["verification_email"]), "status": .string(), "created_at": .string(format: "date-time")],
        required: ["id", "type", "status", "created_at"])

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .post, "/jobs/verification-email", scope: "update:users", tag: "jobs",
                summary: "Send the user an e-mail with a link that verifies their address", success: .created,
                request: .body(
                    VerificationEmailBody.self, required: ["user_id"],
                    example: .sample(VerificationEmailBody(user_id: "auth0|6a1b2c3d4e5f"))),
                response: .value(Self.jobSchema)
            ) { request, context in
                let body = try await context.body(VerificationEmailBody.self, from: request)
                guard let userID = body.user_id else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: user_id'.")
                }
                guard let user = try await storage.read({ try await $0.users.get(userID) }) else { throw UserEndpoints.notFound }
                var client: ClientRecord?
                if let clientID = body.client_id {
                    client = try await storage.read { try await $0.clients.get(clientID) }
                    guard client != nil else {
                        throw ManagementAPIError.notFound("The client does not exist.", errorCode: "inexistent_client")
                    }
                }
                guard try await services.email.canDeliver() else {
                    throw ManagementAPIError.badRequest(
                        "No email provider is configured: configure one with POST /api/v2/emails/provider.",
                        errorCode: "no_email_provider")
                }
                guard user.email != nil else {
                    throw ManagementAPIError.badRequest("The user has no email address to verify.")
                }
                guard try await services.accountMail.sendVerification(to: user, client: client, request: nil) else {
                    throw ManagementAPIError.badRequest(
                        "The verify_email template is disabled: enable it with PATCH /api/v2/email-templates/verify_email.",
                        errorCode: "template_disabled")
                }
                return try JSONResponse.make(
                    JSONValue.object([
                        "id": .string("job_" + RandomIdentifier.alphanumeric(length: 16)), "type": "verification_email",
                        "status": "completed", "created_at": .string(Timestamp.iso8601(Timestamp.nowMillis())),
                    ]), status: .created)
            }
        ]
    }
}
