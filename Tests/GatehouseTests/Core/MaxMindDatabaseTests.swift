import Foundation
import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("GeoIP: MaxMind DB files") struct MaxMindDatabaseTests {
    /// A City-shaped record, with the repeated `names` keys that become pointers.
    static let paris: JSONValue = .object([
        "city": .object(["names": .object(["en": "Paris", "fr": "Paris"])]),
        "continent": .object(["code": "EU", "names": .object(["en": "Europe"])]),
        "country": .object(["iso_code": "FR", "names": .object(["en": "France"])]),
        "location": .object(["latitude": .number(48.8566), "longitude": .number(2.3522), "time_zone": "Europe/Paris"]),
        "subdivisions": .array([.object(["iso_code": "IDF", "names": .object(["en": "Île-de-France"])])]),
        "is_in_european_union": true,
    ])

    static func database(ipVersion: Int = 6, recordSize: Int = 28) throws -> MaxMindDatabase {
        var writer = MaxMindWriter(ipVersion: ipVersion, recordSize: recordSize)
        writer.insert("127.0.0.0/8", paris)
        writer.insert("0.0.0.0/8", paris)
        writer.insert("203.0.113.0/24", .object(["country": .object(["iso_code": "JP", "names": .object(["en": "Japan"])])]))
        if ipVersion == 6 { writer.insert("2001:db8::/32", .object(["country": .object(["iso_code": "DE"])])) }
        return try MaxMindDatabase(bytes: writer.bytes())
    }

    @Test("addresses resolve to their network's record, with every record size and both IP versions", arguments: [24, 28, 32])
    func lookup(recordSize: Int) throws {
        for ipVersion in [4, 6] {
            let database = try Self.database(ipVersion: ipVersion, recordSize: recordSize)
            #expect(database.lookup("127.0.0.1") == Self.paris)
            #expect(database.lookup("127.255.1.2")?["city"]?["names"]?["en"] == "Paris")
            #expect(database.lookup("203.0.113.77")?["country"]?["iso_code"] == "JP")
            #expect(database.lookup("203.0.114.1") == nil)
            #expect(database.lookup("10.1.2.3") == nil)
            #expect(database.lookup("not an address") == nil)
            if ipVersion == 6 {
                #expect(database.lookup("2001:db8::1")?["country"]?["iso_code"] == "DE")
                #expect(database.lookup("::ffff:127.0.0.1")?["country"]?["iso_code"] == "FR")
                #expect(database.lookup("2001:db9::1") == nil)
            } else {
                #expect(database.lookup("2001:db8::1") == nil)
            }
            #expect(database.metadata["database_type"] == "Gatehouse-Test-City")
        }
    }

    @Test("a City record becomes Auth0's event.request.geoip")
    func geoip() throws {
        let geoip = try #require(try Self.database().geoip(for: "127.0.0.1"))
        #expect(
            geoip
                == .object([
                    "cityName": "Paris", "continentCode": "EU", "countryCode": "FR", "countryName": "France",
                    "latitude": .number(48.8566), "longitude": .number(2.3522), "timeZone": "Europe/Paris", "subdivisionCode": "IDF",
                    "subdivisionName": "Île-de-France",
                ]))
        #expect(try Self.database().geoip(for: "10.0.0.1") == nil)
    }

    @Test("files that are not MaxMind DBs are refused with the reason")
    func invalid() {
        #expect(throws: MaxMindDatabase.Failure.self) { try MaxMindDatabase(bytes: Array("hello".utf8)) }
        var truncated = MaxMindWriter()
        truncated.insert("127.0.0.0/8", Self.paris)
        let bytes = truncated.bytes()
        #expect(throws: MaxMindDatabase.Failure.self) { try MaxMindDatabase(bytes: Array(bytes.suffix(60))) }
    }
}
