import GatehouseCore

extension MaxMindDatabase {
    /// `event.request.geoip` (`auth0-actions.md` §2.1) for `ip`, from a GeoIP2 or GeoLite2 City
    /// (or Country) record; `nil` when the database knows nothing of the address. Auth0's
    /// `countryCode3` has no counterpart in MaxMind's records and is left out.
    public func geoip(for ip: String) -> JSONValue? {
        guard let record = lookup(ip) else { return nil }
        func english(_ value: JSONValue?) -> JSONValue? { value?["names"]?["en"] }
        let subdivision = record["subdivisions"]?.arrayValue?.first
        let fields: [(String, JSONValue?)] = [
            ("cityName", english(record["city"])), ("continentCode", record["continent"]?["code"]),
            ("countryCode", record["country"]?["iso_code"]), ("countryName", english(record["country"])),
            ("latitude", record["location"]?["latitude"]), ("longitude", record["location"]?["longitude"]),
            ("timeZone", record["location"]?["time_zone"]), ("subdivisionCode", subdivision?["iso_code"]),
            ("subdivisionName", english(subdivision)),
        ]
        var geoip: [String: JSONValue] = [:]
        for (name, value) in fields { if let value { geoip[name] = value } }
        return geoip.isEmpty ? nil : .object(geoip)
    }
}
