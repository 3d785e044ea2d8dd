import Foundation

/// Milliseconds since 1970, the unit every stored time uses (portable across SQLite and PostgreSQL).
public typealias EpochMillis = Int64

public enum Timestamp {
    public static func nowMillis() -> EpochMillis {
        EpochMillis((Date().timeIntervalSince1970 * 1000).rounded())
    }

    public static func nowSeconds() -> Int64 {
        Int64(Date().timeIntervalSince1970)
    }

    /// ISO 8601 with milliseconds and `Z`, as Auth0 writes `created_at`: `2024-05-01T10:20:30.123Z`.
    public static func iso8601(_ millis: EpochMillis) -> String {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        return date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).dateTimeSeparator(.standard)
                .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }
}
