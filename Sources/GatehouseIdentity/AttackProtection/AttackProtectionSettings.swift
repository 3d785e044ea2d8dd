import GatehouseCore

/// Auth0's Brute-force Protection settings (`/api/v2/attack-protection/brute-force-protection`),
/// field for field: after `max_attempts` consecutive failed password attempts for one user from
/// one IP, that IP may not log in as that user until the block is lifted.
public struct BruteForceProtectionSettings: Codable, Sendable, Equatable {
    public static let shieldValues = ["block", "user_notification"]
    public static let modeValues = ["count_per_identifier_and_ip", "count_per_identifier"]
    public static let formSubmissionModeValues = ["auto", "manual"]

    public var enabled: Bool
    public var shields: [String]
    public var allowlist: [String]
    /// `count_per_identifier_and_ip` (Auth0's default) or `count_per_identifier` (one count per
    /// user from every IP: an account lockout, which lets anyone lock a user out).
    public var mode: String
    public var max_attempts: Int
    /// Stored and returned for compatibility; the hosted pages always submit the same way.
    public var form_submission_mode: String?

    public init(
        enabled: Bool = true, shields: [String] = ["block", "user_notification"], allowlist: [String] = [],
        mode: String = "count_per_identifier_and_ip", max_attempts: Int = 10, form_submission_mode: String? = nil
    ) {
        self.enabled = enabled
        self.shields = shields
        self.allowlist = allowlist
        self.mode = mode
        self.max_attempts = max_attempts
        self.form_submission_mode = form_submission_mode
    }

    /// Whether an attempt from `ip` is refused once its count passes the limit.
    public var blocks: Bool { enabled && shields.contains("block") }
    public var countsPerIP: Bool { mode != "count_per_identifier" }

    public func allows(_ ip: String) -> Bool {
        IPAddressRange.any(allowlist.compactMap(IPAddressRange.init), contains: ip)
    }
}

/// Auth0's Suspicious IP Throttling settings (`/api/v2/attack-protection/suspicious-ip-throttling`):
/// per stage, a bucket of `max_attempts` attempts per IP that refills by one every `rate`
/// milliseconds. `pre-login` counts failed logins across all accounts (100 a day by default),
/// `pre-user-registration` counts sign-ups (50 a minute).
public struct SuspiciousIPThrottlingSettings: Codable, Sendable, Equatable {
    public static let shieldValues = ["block", "admin_notification"]
    public static let stageNames = ["pre-login", "pre-user-registration", "pre-custom-token-exchange"]

    public struct Stage: Codable, Sendable, Equatable {
        public var max_attempts: Int
        /// Milliseconds after which one more attempt is granted.
        public var rate: Int64

        public init(max_attempts: Int, rate: Int64) {
            self.max_attempts = max_attempts
            self.rate = rate
        }
    }

    public var enabled: Bool
    public var shields: [String]
    public var allowlist: [String]
    /// Keyed by Auth0's stage names (`pre-login`, `pre-user-registration`).
    public var stage: [String: Stage]

    public static let defaultStages: [String: Stage] = [
        "pre-login": Stage(max_attempts: 100, rate: 864_000),
        "pre-user-registration": Stage(max_attempts: 50, rate: 1_200),
    ]

    public init(
        enabled: Bool = true, shields: [String] = ["block", "admin_notification"], allowlist: [String] = [],
        stage: [String: Stage] = Self.defaultStages
    ) {
        self.enabled = enabled
        self.shields = shields
        self.allowlist = allowlist
        self.stage = stage
    }

    /// The bucket of `name` when throttling applies to `ip`; `nil` when it does not.
    public func stage(_ name: String, for ip: String) -> Stage? {
        guard enabled, shields.contains("block"), !IPAddressRange.any(allowlist.compactMap(IPAddressRange.init), contains: ip)
        else { return nil }
        return stage[name] ?? Self.defaultStages[name]
    }
}

/// A request body that does not fit the settings, in the words of Auth0's validation errors.
public struct AttackProtectionValidationError: Error, Equatable, Sendable {
    public let message: String

    init(_ message: String) {
        self.message = message
    }
}

extension BruteForceProtectionSettings {
    /// These settings with the members of `patch` applied (Auth0's PATCH: omitted members keep
    /// their value). Throws on unknown members, wrong types and values out of range.
    public func patched(with patch: [String: JSONValue]) throws -> Self {
        var result = self
        let validator = PatchValidator(members: patch)
        try validator.onlyKnown(["enabled", "shields", "allowlist", "mode", "max_attempts", "form_submission_mode"])
        if let value = try validator.bool("enabled") { result.enabled = value }
        if let value = try validator.enumList("shields", allowed: Self.shieldValues) { result.shields = value }
        if let value = try validator.allowlist("allowlist") { result.allowlist = value }
        if let value = try validator.enumValue("mode", allowed: Self.modeValues) { result.mode = value }
        if let value = try validator.integer("max_attempts", in: 1...100) { result.max_attempts = Int(value) }
        if let value = try validator.enumValue("form_submission_mode", allowed: Self.formSubmissionModeValues) {
            result.form_submission_mode = value
        }
        return result
    }
}

extension SuspiciousIPThrottlingSettings {
    /// These settings with `patch` applied; a stage given replaces only the members it names.
    public func patched(with patch: [String: JSONValue]) throws -> Self {
        var result = self
        let validator = PatchValidator(members: patch)
        try validator.onlyKnown(["enabled", "shields", "allowlist", "stage"])
        if let value = try validator.bool("enabled") { result.enabled = value }
        if let value = try validator.enumList("shields", allowed: Self.shieldValues) { result.shields = value }
        if let value = try validator.allowlist("allowlist") { result.allowlist = value }
        if let stages = patch["stage"] {
            guard let object = stages.objectValue else { throw PatchValidator.typeError("stage", expected: "object", found: stages) }
            try PatchValidator(members: object).onlyKnown(Self.stageNames)
            for (name, value) in object {
                guard let members = value.objectValue else {
                    throw PatchValidator.typeError("stage.\(name)", expected: "object", found: value)
                }
                let stageValidator = PatchValidator(members: members, path: "stage.\(name).")
                try stageValidator.onlyKnown(["max_attempts", "rate"])
                var stage = result.stage[name] ?? Self.defaultStages[name] ?? Stage(max_attempts: 10, rate: 600_000)
                if let attempts = try stageValidator.integer("max_attempts", in: 1...100_000) { stage.max_attempts = Int(attempts) }
                // At most 30 days between two granted attempts.
                if let rate = try stageValidator.integer("rate", in: 1...2_592_000_000) { stage.rate = rate }
                result.stage[name] = stage
            }
        }
        return result
    }
}

/// Reads members of a PATCH body with Auth0's messages: `Payload validation error: 'Expected type
/// boolean but found type string' on property enabled.`
struct PatchValidator {
    let members: [String: JSONValue]
    var path = ""

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number == number.rounded() ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func typeError(_ property: String, expected: String, found: JSONValue) -> AttackProtectionValidationError {
        AttackProtectionValidationError(
            "Payload validation error: 'Expected type \(expected) but found type \(typeName(found))' on property \(property).")
    }

    func onlyKnown(_ known: [String]) throws {
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw AttackProtectionValidationError("Payload validation error: 'Additional properties not allowed: \(path)\(unknown)'.")
        }
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = members[name] else { return nil }
        guard let bool = value.boolValue else { throw Self.typeError(path + name, expected: "boolean", found: value) }
        return bool
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = members[name] else { return nil }
        guard let number = value.numberValue, number == number.rounded(), abs(number) < 9e15 else {
            throw Self.typeError(path + name, expected: "integer", found: value)
        }
        let integer = Int64(number)
        guard range.contains(integer) else {
            throw AttackProtectionValidationError(
                "Payload validation error: 'Value \(integer) is outside the allowed range \(range.lowerBound) to \(range.upperBound)' on property \(path)\(name)."
            )
        }
        return integer
    }

    func enumValue(_ name: String, allowed: [String]) throws -> String? {
        guard let value = members[name] else { return nil }
        guard let text = value.stringValue else { throw Self.typeError(path + name, expected: "string", found: value) }
        guard allowed.contains(text) else {
            throw AttackProtectionValidationError(
                "Payload validation error: 'No enum match for: \"\(text)\"' on property \(path)\(name) (one of \(allowed.joined(separator: ", ")))."
            )
        }
        return text
    }

    func enumList(_ name: String, allowed: [String]) throws -> [String]? {
        guard let value = members[name] else { return nil }
        guard let array = value.arrayValue else { throw Self.typeError(path + name, expected: "array", found: value) }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.stringValue else {
                throw Self.typeError("\(path)\(name)[\(index)]", expected: "string", found: element)
            }
            guard allowed.contains(text) else {
                throw AttackProtectionValidationError(
                    "Payload validation error: 'No enum match for: \"\(text)\"' on property \(path)\(name)[\(index)] (one of \(allowed.joined(separator: ", ")))."
                )
            }
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    /// IP addresses and CIDR blocks, at most 100 of them.
    func allowlist(_ name: String) throws -> [String]? {
        guard let value = members[name] else { return nil }
        guard let array = value.arrayValue else { throw Self.typeError(path + name, expected: "array", found: value) }
        guard array.count <= 100 else {
            throw AttackProtectionValidationError(
                "Payload validation error: 'Array is too long (\(array.count)), maximum 100' on property \(path)\(name).")
        }
        return try array.enumerated().map { index, element in
            guard let text = element.stringValue else {
                throw Self.typeError("\(path)\(name)[\(index)]", expected: "string", found: element)
            }
            guard IPAddressRange(text) != nil else {
                throw AttackProtectionValidationError(
                    "Payload validation error: 'Object didn't pass validation for format ipv4-or-ipv6-or-cidr: \(text)' on property \(path)\(name)[\(index)]."
                )
            }
            return text.trimmingCharacters(in: .whitespaces)
        }
    }
}
