import Foundation
import GatehouseCore
import Testing

@Suite("Timestamps in Auth0's ISO 8601 form") struct TimestampTests {
    static let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    @Test("known instants, including leap days and the epoch")
    func known() {
        #expect(Timestamp.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp.iso8601(1_714_558_830_123) == "2024-05-01T10:20:30.123Z")
        #expect(Timestamp.iso8601(4_102_444_799_999) == "2099-12-31T23:59:59.999Z")
    }

    @Test("agrees with Foundation's formatter to the second from 1900 to 2200")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            // Whole seconds: Foundation formats a `Date`'s fraction from a `Double` and can be a
            // millisecond short (46.673 → 46.672); the milliseconds are checked in `known`.
            let seconds = Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator)
            let date = Date(timeIntervalSince1970: Double(seconds))
            #expect(Timestamp.iso8601(seconds * 1000) == Self.foundation.format(date), "\(seconds)")
        }
    }
}
