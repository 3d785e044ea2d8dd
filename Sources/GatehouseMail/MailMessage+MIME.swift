import Foundation

extension MailMessage {
    /// The message as RFC 5322 text with CRLF line ends, ready for SMTP `DATA` (before
    /// dot-stuffing): `Date`, `Message-ID`, `From`, `To`, `Subject` (RFC 2047 when not ASCII),
    /// `MIME-Version: 1.0` and, with an HTML part, a `multipart/alternative` body (RFC 2046
    /// §5.1.4: text first, HTML last, the preferred one) whose parts are UTF-8 in base64
    /// (RFC 2045 §6.8), so every line stays 7-bit and short whatever the content.
    public func mime(now: Date = Date()) -> String {
        var headers = [
            "Date: \(MIMEEncoding.date(date ?? now))",
            "Message-ID: <\(messageID ?? Self.newMessageID(domain: from.domain))>",
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(MIMEEncoding.headerText(subject))",
            "MIME-Version: 1.0",
        ]
        let body: String
        if let html {
            let boundary = "=_gatehouse_" + Self.randomToken(bytes: 12)
            headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            body = [
                "This is a multi-part message in MIME format.", "",
                "--\(boundary)", Self.part("text/plain", text), "",
                "--\(boundary)", Self.part("text/html", html), "",
                "--\(boundary)--", "",
            ].joined(separator: "\r\n")
        } else {
            headers.append("Content-Type: text/plain; charset=UTF-8")
            headers.append("Content-Transfer-Encoding: base64")
            body = MIMEEncoding.base64Body(text) + "\r\n"
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    static func part(_ type: String, _ content: String) -> String {
        "Content-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + MIMEEncoding.base64Body(content)
    }

    /// `<random@domain>` (RFC 5322 §3.6.4): 16 random bytes make it unique without a counter.
    static func newMessageID(domain: String) -> String {
        "\(randomToken(bytes: 16))@\(domain)"
    }

    static func randomToken(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }
}

/// SMTP `DATA` transparency (RFC 5321 §4.5.2) and line ends (§2.3.8).
public enum SMTPData {
    /// Every line break (CR, LF or CRLF) becomes CRLF, a line that starts with `.` gets one more
    /// `.` in front, and the data ends with `CRLF.CRLF`: what the client writes after `354`.
    public static func encode(_ message: String) -> String {
        let normalised = message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = normalised.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let stuffed = lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }
        return stuffed.map { $0 + "\r\n" }.joined() + ".\r\n"
    }
}
