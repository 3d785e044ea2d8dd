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
    ///
    /// Written by hand with integer arithmetic (the proleptic Gregorian calendar, UTC): every
    /// flow and tenant log event formats several of these, and Foundation's `ISO8601FormatStyle`
    /// costs tens of microseconds each on Linux.
    public static func iso8601(_ millis: EpochMillis) -> String {
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let milliOfDay = millis - days * 86_400_000
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func put(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(48 + rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        put(year, digits: 4)
        bytes.append(45)  // -
        put(month, digits: 2)
        bytes.append(45)
        put(day, digits: 2)
        bytes.append(84)  // T
        put(milliOfDay / 3_600_000, digits: 2)
        bytes.append(58)  // :
        put(milliOfDay / 60_000 % 60, digits: 2)
        bytes.append(58)
        put(milliOfDay / 1000 % 60, digits: 2)
        bytes.append(46)  // .
        put(milliOfDay % 1000, digits: 3)
        bytes.append(90)  // Z
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Year, month and day of a day count since 1970-01-01 (H. Hinnant, "chrono-Compatible
    /// Low-Level Date Algorithms", `civil_from_days`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
