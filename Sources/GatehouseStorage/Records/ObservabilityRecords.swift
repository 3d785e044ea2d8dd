import GatehouseCore

/// One run of a trigger's flow (Auth0's Execution object, §5.2, plus the observed per-result
/// `binding_id`, `version_id`, `response` and the captured console output).
public struct ExecutionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var trigger_id: String
    /// `final` or `suspended`.
    public var status: String
    public var results: [ExecutionResult]
    public var created_at: String
    public var updated_at: String

    public init(id: String, trigger_id: String, status: String, results: [ExecutionResult], created_at: String, updated_at: String) {
        self.id = id
        self.trigger_id = trigger_id
        self.status = status
        self.results = results
        self.created_at = created_at
        self.updated_at = updated_at
    }
}

public struct ExecutionResult: Codable, Sendable, Equatable {
    public var action_name: String
    public var binding_id: String?
    public var version_id: String?
    public var started_at: String
    public var ended_at: String
    public var error: JSONValue?
    public var response: JSONValue
    public var logs: String

    public init(
        action_name: String, binding_id: String?, version_id: String?, started_at: String, ended_at: String, error: JSONValue?,
        response: JSONValue, logs: String
    ) {
        self.action_name = action_name
        self.binding_id = binding_id
        self.version_id = version_id
        self.started_at = started_at
        self.ended_at = ended_at
        self.error = error
        self.response = response
        self.logs = logs
    }
}

/// A tenant log event (`GET /api/v2/logs`), with Auth0's event type codes (`seccft`, `feccft`,
/// `actions_execution_failed`, …).
public struct LogRecord: Codable, Sendable, Equatable {
    public var log_id: String
    public var date: String
    public var type: String
    public var description: String
    public var client_id: String?
    public var client_name: String?
    public var ip: String?
    public var user_agent: String?
    public var user_id: String?
    /// The user's login name as Auth0 shows it: the email (or username) of a known user, or the
    /// identifier typed into a failed login.
    public var user_name: String?
    public var audience: String?
    public var scope: String?
    public var details: JSONValue

    public init(
        log_id: String, date: String, type: String, description: String, client_id: String? = nil, client_name: String? = nil,
        ip: String? = nil, user_agent: String? = nil, user_id: String? = nil, user_name: String? = nil, audience: String? = nil,
        scope: String? = nil, details: JSONValue = .object([:])
    ) {
        self.log_id = log_id
        self.date = date
        self.type = type
        self.description = description
        self.client_id = client_id
        self.client_name = client_name
        self.ip = ip
        self.user_agent = user_agent
        self.user_id = user_id
        self.user_name = user_name
        self.audience = audience
        self.scope = scope
        self.details = details
    }
}
