import GatehouseCore
import GatehouseStorage

extension LoginCompletion {
    /// A tenant log event of a browser login, as Auth0 names them: `s` (success), `f` (refused
    /// by an action), `fp` (wrong credentials), `limit_wc` (throttled); the executions of the
    /// flow in `details.actions.executions`.
    public static func browserLoginLog(
        type: String, description: String, transaction: LoginTransactionRecord, client: ClientRecord, connection: String,
        ip: String, userAgent: String?, userID: String?, userName: String?, executions: [String] = []
    ) -> LogRecord {
        var details: [String: JSONValue] = ["connection": .string(connection)]
        if !executions.isEmpty { details["actions"] = .object(["executions": .array(executions.map(JSONValue.string))]) }
        return LogRecord(
            log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(Timestamp.nowMillis()), type: type,
            description: description, client_id: client.client_id, client_name: client.name, ip: ip, user_agent: userAgent,
            user_id: userID, user_name: userName, audience: transaction.audience, scope: transaction.scope, details: .object(details))
    }

    /// `s` when a browser login with a password check ends with a code, `f` when one is refused.
    /// Token-endpoint logins are logged by the token endpoint (`sepft`, `fepft`, …).
    func logBrowserLogin(_ outcome: Outcome, attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest)
        async
    {
        guard attempt.loginProtocol.isBrowser, let transaction = attempt.transaction, let recorder = postLogin?.flows.recorder else {
            return
        }
        let record: LogRecord
        switch outcome {
        case .code(_, _, _, let executions) where attempt.freshAuthentication:
            record = Self.browserLoginLog(
                type: "s", description: "Successful login", transaction: transaction, client: client, connection: user.connection,
                ip: request.ip, userAgent: request.userAgent, userID: user.user_id, userName: user.logName, executions: executions)
        case .refused(let error, _):
            record = Self.browserLoginLog(
                type: "f", description: error.description, transaction: transaction, client: client, connection: user.connection,
                ip: request.ip, userAgent: request.userAgent, userID: user.user_id, userName: user.logName,
                executions: error.executionIDs)
        default:
            return
        }
        await recorder.record(logs: [record])
    }
}
