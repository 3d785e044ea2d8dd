import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// Auth0 Management API "Jobs", for verification e-mails: `POST /api/v2/jobs/verification-email`
/// e-mails the user a verification link (`AccountMail`); the message is in the outbox when the
/// call answers, and the job is that message: its id is the e-mail's (`job_<message id>`), and
/// `GET /api/v2/jobs/{id}` says where its delivery stands (`pending`, `processing` while retried,
/// `completed`, `failed`). A job is forgotten when the outbox purges its delivered message.
struct JobEndpoints {
    let services: IdentityServices

    struct VerificationEmailBody: Codable, Sendable {
        var user_id: String?
        var client_id: String?
    }

    static let jobPrefix = "job_"

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
                guard let messageID = try await services.accountMail.sendVerification(to: user, client: client, request: nil)
                else {
                    throw ManagementAPIError.badRequest(
                        "The verify_email template is disabled: enable it with PATCH /api/v2/email-templates/verify_email.",
                        errorCode: "template_disabled")
                }
                return try JSONResponse.make(
                    JSONValue.object([
                        "id": .string(Self.jobPrefix + messageID), "type": "verification_email", "status": "pending",
                        "created_at": .string(Timestamp.iso8601(Timestamp.nowMillis())),
                    ]), status: .created)
            },
            ManagementEndpoint(
                .get, "/jobs/{id}", scope: "read:users", tag: "jobs", summary: "Get a verification-email job and where its delivery stands",
                response: .value(Self.jobSchema)
            ) { _, context in
                let id = try context.parameter("id")
                guard id.hasPrefix(Self.jobPrefix), id.count <= 100,
                    let job = try await services.accountMail.verificationJob(String(id.dropFirst(Self.jobPrefix.count)))
                else { throw ManagementAPIError.notFound("The job does not exist.", errorCode: "inexistent_job") }
                return try JSONResponse.make(
                    JSONValue.object([
                        "id": .string(id), "type": "verification_email", "status": .string(job.status),
                        "created_at": .string(Timestamp.iso8601(job.createdAt)),
                    ]))
            },
        ]
    }
}
