import GatehouseCore

/// What a create or update body may say (Auth0's `PhoneProviderConfiguration` and
/// `PhoneProviderCredentials`): the HTTP schema checks types; this checks what depends on the
/// provider. `custom`: `configuration.delivery_methods` only, no credentials. `twilio`:
/// `configuration.sid` and `delivery_methods` (plus `mssid`, `default_from`) and
/// `credentials.auth_token`.
extension PhoneProviderService {
    static let twilioConfiguration: Set<String> = ["sid", "mssid", "default_from", "delivery_methods"]
    static let customConfiguration: Set<String> = ["delivery_methods"]

    /// `stored` with `body` applied, checked as a whole (a PATCH that changes `name` must leave a
    /// valid provider of the new name).
    static func applying(_ body: [String: JSONValue], to stored: StoredPhoneProvider, masterKey: MasterKey) throws
        -> StoredPhoneProvider
    {
        var result = stored
        if let name = body["name"]?.stringValue {
            guard names.contains(name) else { throw invalid("name must be one of \(names.joined(separator: ", ")).") }
            if name != result.record.name { result.sealed_credentials = nil }
            result.record.name = name
        }
        if let disabled = body["disabled"]?.boolValue { result.record.disabled = disabled }
        if let configuration = body["configuration"] { result.record.configuration = configuration }
        let name = result.record.name
        guard let configuration = result.record.configuration.objectValue else { throw invalid("configuration must be an object.") }
        let allowed = name == "twilio" ? twilioConfiguration : customConfiguration
        if let extra = configuration.keys.sorted().first(where: { !allowed.contains($0) }) {
            let takes = allowed.sorted().joined(separator: ", ")
            throw invalid("configuration.\(extra) does not apply to the \(name) provider (it takes \(takes)).")
        }
        guard let methods = configuration["delivery_methods"]?.arrayValue, !methods.isEmpty else {
            throw invalid("configuration.delivery_methods is required: [\"text\"], [\"voice\"] or [\"text\", \"voice\"].")
        }
        let names = methods.compactMap(\.stringValue)
        guard names.count == methods.count, names.allSatisfy(deliveryMethods.contains), Set(names).count == names.count else {
            throw invalid("configuration.delivery_methods may hold text and voice, each once.")
        }
        if name == "twilio" {
            guard let sid = configuration["sid"]?.stringValue, !sid.isEmpty else {
                throw invalid("configuration.sid (the Twilio account SID) is required for the twilio provider.")
            }
        }
        if let credentials = body["credentials"] {
            guard let members = credentials.objectValue else { throw invalid("credentials must be an object.") }
            if name == "custom" {
                guard members.isEmpty else {
                    throw invalid("The custom provider takes no credentials: keep its secrets in the action's secrets.")
                }
                result.sealed_credentials = nil
            } else {
                guard let token = members["auth_token"]?.stringValue, !token.isEmpty, members.count == 1 else {
                    throw invalid("credentials.auth_token (the Twilio auth token) is required for the twilio provider, and only it.")
                }
                do {
                    result.sealed_credentials = try masterKey.seal(JSONValue.object(["auth_token": .string(token)]).jsonText())
                } catch {
                    throw PhoneProviderError(.invalidBody, "The credentials could not be sealed; try again.")
                }
            }
        }
        if name == "twilio", result.sealed_credentials == nil {
            throw invalid("credentials.auth_token (the Twilio auth token) is required for the twilio provider.")
        }
        return result
    }

    static func invalid(_ detail: String) -> PhoneProviderError {
        PhoneProviderError(.invalidBody, "Payload validation error: " + detail)
    }
}
