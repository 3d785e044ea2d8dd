import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// What a post-login flow collected before it suspended, and where it goes on: kept in the
/// database with the login (`LoginSuspensionRecord.login`), so any instance can resume it.
public struct PostLoginProgress: Sendable, Codable, Equatable {
    /// Every command of the flow's runs so far, in order (claims, metadata, scope changes, …).
    public var commands: [Command] = []
    /// The execution record of each run, for the tenant log.
    public var executionIDs: [String] = []
    /// The legacy rules that ran without an error (`api.rules.wasExecuted` of the actions that
    /// run after a resume).
    public var executedRules: [String] = []

    public init(commands: [Command] = [], executionIDs: [String] = []) {
        self.commands = commands
        self.executionIDs = executionIDs
    }

    enum CodingKeys: String, CodingKey {
        case commands, executionIDs, executedRules
    }

    /// Suspensions stored before rules existed have no `executedRules`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        commands = try container.decode([Command].self, forKey: .commands)
        executionIDs = try container.decode([String].self, forKey: .executionIDs)
        executedRules = try container.decodeIfPresent([String].self, forKey: .executedRules) ?? []
    }
}

/// Why and where a post-login flow stopped to wait for the browser.
public struct PostLoginSuspension: Sendable, Codable, Equatable {
    public enum Reason: String, Sendable, Codable {
        /// `api.redirect.sendUserTo`: the browser goes to `url`; `/continue` resumes.
        case redirect
        /// `api.authentication.challengeWith…` / `enrollWith…`, or `api.multifactor.enable` at the
        /// end of the flow: the MFA pages resume.
        case mfa
    }

    public var reason: Reason
    /// The call that suspended (`api.redirect.sendUserTo`, …) and its checked arguments.
    public var method: String
    public var args: [JSONValue]
    public var actionName: String
    /// Where the flow goes on; `nil` when no step is left (MFA asked for at the end).
    public var resumption: FlowRunner.Resumption?
    /// The event as the suspended run left it (reflected metadata, transaction metadata); the
    /// resumed run gets it with a fresh `request`.
    public var event: JSONValue
    /// A legacy rule's `context.redirect` suspended the login (messages name a rule).
    public var isRule: Bool? = nil
}

/// The stored form of a suspended login: the attempt, the flow's progress and the suspension.
struct SuspendedLogin: Sendable, Codable, Equatable {
    var attempt: LoginAttempt
    var progress: PostLoginProgress
    var suspension: PostLoginSuspension
    /// What a login waiting on MFA must prove (`reason == .mfa`).
    var multifactor: MultifactorRequirement?
}

/// What a login waiting on MFA must prove, and how far the person got: kept with the
/// suspension, so the MFA page and the MFA API can be served by any instance.
public struct MultifactorRequirement: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable {
        /// Prove one of `factors` with an authenticator the user has.
        case challenge
        /// Enrol one of `factors` (the user has none of them yet), then the login goes on.
        case enroll
    }

    public var mode: Mode
    /// The factors that meet it, in order of preference (`MultifactorFactor` raw values).
    public var factors: [String]
    /// Whether the person may ask to skip MFA in this browser next time.
    public var allowRememberBrowser: Bool
    /// The pending authenticator this login's enrolment started: only it can be confirmed here.
    public var enrollmentID: String?
    /// Set once a factor was proved; the login then only waits for the person to go on (after
    /// noting a recovery code on the page).
    public var provedFactor: String?
    /// The MFA API (`/mfa/associate`, `/mfa/challenge`): the SHA-256 of the last `oob_code`
    /// handed out for this login, which the `mfa-oob` grant must present with the SMS code.
    public var oobCodeHash: String?
    /// The MFA API: the SHA-256 of the recovery code `/mfa/associate` showed (Auth0 shows it at
    /// association); it becomes the user's recovery code when this login's enrolment is confirmed.
    public var recoveryCodeHash: String?

    public init(mode: Mode, factors: [MultifactorFactor], allowRememberBrowser: Bool) {
        self.mode = mode
        self.factors = factors.map(\.rawValue)
        self.allowRememberBrowser = allowRememberBrowser
    }

    /// `factors`, typed.
    public var factorList: [MultifactorFactor] { factors.compactMap(MultifactorFactor.init(rawValue:)) }
}
