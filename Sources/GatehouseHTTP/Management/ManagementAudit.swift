import GatehouseActions
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// Management API writes in the tenant log, as Auth0 records them: `sapi` ("Success API
/// Operation") for a `POST`, `PUT`, `PATCH` or `DELETE` that succeeded and `fapi` ("Failed API
/// Operation") for one that was refused or failed. A record says who (the caller's `client_id`,
/// its token's `sub`), what (method, path, status, the operation) and why it failed (the error's
/// message and code); it never holds a request or response body, so no password, client secret,
/// action secret or token can reach the log. Reads are not logged.
struct ManagementAudit: Sendable {
    let recorder: ExecutionRecorder?

    static let writes: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    /// An operation that ran (or was refused after authentication).
    func record(
        _ endpoint: ManagementEndpoint, _ request: Request, _ context: ManagementRequestContext, status: HTTPResponse.Status,
        refusal: ManagementAPIError? = nil
    ) async {
        guard Self.writes.contains(request.method) else { return }
        await write(
            request, ip: context.remoteIP, caller: context.caller, status: status, operation: endpoint.summary, refusal: refusal)
    }

    /// A write refused before its caller was known (no token, or a token that did not verify).
    /// Returns `error`, to be thrown.
    func refused(_ request: Request, _ context: GatehouseRequestContext, _ error: ManagementAPIError) async -> ManagementAPIError {
        if Self.writes.contains(request.method) {
            await write(request, ip: context.remoteIP, caller: nil, status: error.status, operation: nil, refusal: error)
        }
        return error
    }

    private func write(
        _ request: Request, ip: String, caller: ManagementCaller?, status: HTTPResponse.Status, operation: String?,
        refusal: ManagementAPIError?
    ) async {
        guard let recorder else { return }
        let success = refusal == nil && status.code < 400
        var requestDetails: [String: JSONValue] = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "channel": "api",
        ]
        if let caller {
            requestDetails["auth"] = .object([
                "strategy": "jwt", "subject": .string(caller.subject),
                "user": caller.isEndUser ? .object(["user_id": .string(caller.subject)]) : .object([:]),
            ])
        }
        var responseDetails: [String: JSONValue] = ["statusCode": .number(Double(status.code))]
        if let refusal {
            responseDetails["body"] = .object([
                "statusCode": .number(Double(refusal.status.code)), "error": .string(refusal.status.reasonPhrase),
                "message": .string(refusal.message), "errorCode": refusal.errorCode.map(JSONValue.string) ?? .null,
            ])
        }
        let description =
            success
            ? (operation ?? "Success API Operation")
            : refusal?.message ?? "Failed API Operation"
        await recorder.record(logs: [
            LogRecord(
                log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(Timestamp.nowMillis()),
                type: success ? "sapi" : "fapi", description: description, client_id: caller?.clientID, ip: ip,
                user_agent: request.headers[.userAgent], user_id: caller?.isEndUser == true ? caller?.subject : nil,
                details: .object(["request": .object(requestDetails), "response": .object(responseDetails)]))
        ])
    }
}
