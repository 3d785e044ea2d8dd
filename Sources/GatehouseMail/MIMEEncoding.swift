import Foundation

/// The encodings a message needs to travel over 7-bit SMTP: RFC 2047 encoded-words for
/// non-ASCII header text, RFC 2045 §6.8 base64 bodies in lines of 76 characters, and the
/// RFC 5322 §3.3 date.
public enum MIMEEncoding {
    /// A header's unstructured text (`Subject:`): as is when it is printable ASCII, otherwise
    /// RFC 2047 `=?UTF-8?B?…?=` encoded-words of at most 75 characters each (§2), never
    /// splitting a UTF-8 sequence (§5 (3)), separated by folding white space.
    public static func headerText(_ text: String) -> String {
        let flattened = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
        if flattened.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && flattened.utf8.count <= 900
            && !flattened.contains("=?")
        {
            return flattened
        }
        return encodedWords(flattened).joined(separator: "\r\n ")
    }

    /// A display name (`phrase`, RFC 5322 §3.2.5): a quoted string when ASCII, else encoded-words.
    static func phrase(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !text.contains("=?") {
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        return encodedWords(text).joined(separator: " ")
    }

    /// `=?UTF-8?B?…?=` words; each holds at most 45 bytes of UTF-8 (60 base64 characters, 72 in all).
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words
    }

    /// A body part's content, base64 in lines of 76 characters (RFC 2045 §6.8), CRLF-separated.
    public static func base64Body(_ text: String) -> String {
        let encoded = Data(text.utf8).base64EncodedString()
        var lines: [Substring] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(encoded[index..<end])
            index = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 5322 §3.3 `date-time` in UTC: `Tue, 01 Jul 2025 09:05:00 +0000`.
    public static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
