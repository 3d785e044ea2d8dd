import GatehouseCore

/// The catalog's documentation of each trigger: its `event` members (type, one-line doc,
/// optional, sub-fields) and a one-line doc per `api` method — what the dashboard's editor
/// completes and shows, from the same file the runner's `api` objects come from, so the two
/// cannot drift (`PageCatalogue`-style tests check every member of the sample events is here).
///
/// In `triggers.json`: `event_objects` holds shared descriptions (`user`, `client`, `request`
/// parts, …), a trigger's `event` names its members, inline or as `{"ref": "<object>"}`; a
/// member with `"free": true` is a map whose keys are the tenant's (metadata, secrets, query).
extension TriggerCatalog {
    /// `trigger`'s `event` members with every `ref` resolved, or `nil` for an unknown trigger.
    /// Each member: `{type, doc, optional?, free?, fields?, items?}`.
    public func eventDescription(_ trigger: String) -> JSONValue? {
        guard let members = documentation["events"]?[trigger]?.objectValue else { return nil }
        return .object(members.mapValues { resolve($0) })
    }

    /// One line per `api` method of `trigger` (`idToken.setCustomClaim` → what it does); a
    /// method without a doc is absent.
    public func apiDocumentation(_ trigger: String) -> [String: String] {
        guard let methods = triggers[trigger]?.methods else { return [:] }
        var docs: [String: String] = [:]
        for method in methods {
            docs[method] = documentation["api_docs"]?[method]?.stringValue
        }
        return docs
    }

    /// `description` with its `ref` replaced by the shared object (its own keys win, so a
    /// member can mark a shared object optional), recursively through `fields` and `items`.
    private func resolve(_ description: JSONValue, depth: Int = 0) -> JSONValue {
        guard depth < 16, var members = description.objectValue else { return description }
        if let name = members.removeValue(forKey: "ref")?.stringValue,
            let shared = documentation["event_objects"]?[name]?.objectValue
        {
            members = shared.merging(members) { _, own in own }
        }
        if let fields = members["fields"]?.objectValue {
            members["fields"] = .object(fields.mapValues { resolve($0, depth: depth + 1) })
        }
        if let items = members["items"] {
            members["items"] = resolve(items, depth: depth + 1)
        }
        return .object(members)
    }
}
