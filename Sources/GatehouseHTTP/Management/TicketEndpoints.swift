import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `POST /api/v2/tickets/password-change` and `/tickets/email-verification` (Auth0 Management
/// API "Tickets"): a single-use link to the hosted reset or verification page, for an
/// application to send the way it likes (`AccountTickets`).
struct TicketEndpoints {
    let services: IdentityServices

    /// `POST /tickets/password-change`: the user by id, or by e-mail within a connection.
    struct PasswordChangeBody: Codable, Sendable {
        var user_id: String?
        var email: String?
        var connection_id: String?
        var client_id: String?
        var result_url: String?
        var ttl_sec: Int?
        var mark_email_as_verified: Bool?
        var includeEmailInRedirect: Bool?
    }

    /// `POST /tickets/email-verification`.
    struct EmailVerificationBody: Codable, Sendable {
        var user_id: String?
        var client_id: String?
        var result_url: String?
        var ttl_sec: Int?
        var includeEmailInRedirect: Bool?
    }

    static let ticketSchema = JSONSchema.object(["ticket": .string(format: "uri")], required: ["ticket"])

    /// Checks what both tickets share: a lifetime within Auth0's bounds, an absolute http(s)
    /// `result_url`, an existing application.
    func validate(ttl: Int?, resultURL: String?, clientID: String?) async throws {
        if let ttl, !(0...AccountTickets.maximumLifetimeSeconds).contains(ttl) {
            throw ManagementAPIError.badRequest(
                "Payload validation error: 'ttl_sec' must be 0 to \(AccountTickets.maximumLifetimeSeconds) seconds (0: 5 days).")
        }
        if let resultURL {
            guard let url = URL(string: resultURL), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ManagementAPIError.badRequest("Payload validation error: 'result_url' must be an absolute http(s) URL.")
            }
        }
        if let clientID, try await services.storage.read({ try await $0.clients.get(clientID) }) == nil {
            throw ManagementAPIError.notFound("The client does not exist.", errorCode: "inexistent_client")
        }
    }

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        let tickets = services.tickets
        return [
            ManagementEndpoint(
                .post, "/tickets/password-change", scope: "create:user_tickets", tag: "tickets",
                summary: "Create a password-change ticket: a single-use link to the hosted reset page", success: .created,
                request: .body(
                    PasswordChangeBody.self,
                    example: .sample(PasswordChangeBody(user_id: "auth0|6a1b2c3d4e5f", result_url: "https://app.example/", ttl_sec: 3600))),
                response: .value(Self.ticketSchema)
            ) { request, context in
                let body = try await context.body(PasswordChangeBody.self, from: request)
                try await validate(ttl: body.ttl_sec, resultURL: body.result_url, clientID: body.client_id)
                let user: UserRecord?
                if let userID = body.user_id {
                    user = try await storage.read { try await $0.users.get(userID) }
                } else if let email = body.email, let connectionID = body.connection_id {
                    user = try await storage.read { repositories in
                        guard let connection = try await repositories.connections.get(id: connectionID) else { return nil }
                        return try await repositories.users.find(connection: connection.name, login: email)
                    }
                } else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: give 'user_id', or 'email' and 'connection_id'.")
                }
                guard let user else { throw UserEndpoints.notFound }
                let link = try await tickets.issue(
                    .passwordChange, userID: user.user_id, clientID: body.client_id, resultURL: body.result_url,
                    lifetimeSeconds: body.ttl_sec, markEmailAsVerified: body.mark_email_as_verified ?? false,
                    includeEmailInRedirect: body.includeEmailInRedirect ?? false)
                return try JSONResponse.make(JSONValue.object(["ticket": .string(link)]), status: .created)
            },
            ManagementEndpoint(
                .post, "/tickets/email-verification", scope: "create:user_tickets", tag: "tickets",
                summary: "Create an email-verification ticket: a single-use link that marks the user's e-mail verified",
                success: .created,
                request: .body(
                    EmailVerificationBody.self, required: ["user_id"],
                    example: .sample(EmailVerificationBody(user_id: "auth0|6a1b2c3d4e5f", result_url: "https://app.example/"))),
                response: .value(Self.ticketSchema)
            ) { request, context in
                let body = try await context.body(EmailVerificationBody.self, from: request)
                guard let userID = body.user_id else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: user_id'.")
                }
                try await validate(ttl: body.ttl_sec, resultURL: body.result_url, clientID: body.client_id)
                guard try await storage.read({ try await $0.users.get(userID) }) != nil else { throw UserEndpoints.notFound }
                let link = try await tickets.issue(
                    .emailVerification, userID: userID, clientID: body.client_id, resultURL: body.result_url,
                    lifetimeSeconds: body.ttl_sec, includeEmailInRedirect: body.includeEmailInRedirect ?? false)
                return try JSONResponse.make(JSONValue.object(["ticket": .string(link)]), status: .created)
            },
        ]
    }
}
