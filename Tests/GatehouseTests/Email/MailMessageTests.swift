import Foundation
import GatehouseMail
import Testing

@Suite("E-mail on the wire: MIME building (RFC 5322, 2045-2047) and SMTP DATA transparency (RFC 5321)")
struct MailMessageTests {
    static func message(subject: String = "Hello", html: String? = "<p>Hi</p>") throws -> MailMessage {
        MailMessage(
            from: try MailAddress("no-reply@example.com", displayName: "Example Team"), to: try MailAddress("jane@example.org"),
            subject: subject, text: "Hi Jane\n.hidden line\n", html: html, date: Date(timeIntervalSince1970: 1_751_360_700),
            messageID: "abc123@example.com")
    }

    static func decodeBase64Part(_ mime: String, type: String) -> String? {
        guard let start = mime.range(of: "Content-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n") else {
            return nil
        }
        let rest = mime[start.upperBound...]
        let body = rest.prefix { $0 != "-" }.replacingOccurrences(of: "\r\n", with: "")
        return Data(base64Encoded: body).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("headers: Date (RFC 5322 §3.3), Message-ID, From with a quoted display name, To, Subject, MIME-Version")
    func headers() throws {
        let mime = try Self.message().mime()
        let head = mime.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(head.contains("Date: Tue, 01 Jul 2025 09:05:00 +0000"), "\(head)")
        #expect(head.contains("Message-ID: <abc123@example.com>"))
        #expect(head.contains("From: \"Example Team\" <no-reply@example.com>"))
        #expect(head.contains("To: jane@example.org"))
        #expect(head.contains("Subject: Hello"))
        #expect(head.contains("MIME-Version: 1.0"))
        #expect(head.contains("Content-Type: multipart/alternative;") && head.contains { $0.hasPrefix(" boundary=\"=_gatehouse_") })
        // Every line is 7-bit and within RFC 5322's 78-character recommendation.
        #expect(mime.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 78 && $0.utf8.allSatisfy { $0 < 0x80 } })
        #expect(!mime.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "bare LF in the message")
    }

    @Test("multipart/alternative: text first, HTML last, each UTF-8 in base64, closed by the final boundary")
    func alternative() throws {
        let mime = try Self.message(html: "<p>Grüße, Jane — ✓</p>").mime()
        let boundary = try #require(mime.range(of: "boundary=\"").map { mime[$0.upperBound...].prefix { $0 != "\"" } })
        let text = try #require(mime.range(of: "text/plain")), html = try #require(mime.range(of: "text/html"))
        #expect(text.lowerBound < html.lowerBound)
        #expect(mime.hasSuffix("--\(boundary)--\r\n"))
        #expect(Self.decodeBase64Part(mime, type: "text/html") == "<p>Grüße, Jane — ✓</p>")
        #expect(Self.decodeBase64Part(mime, type: "text/plain") == "Hi Jane\n.hidden line\n")
        let plain = try Self.message(html: nil).mime()
        #expect(plain.contains("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"))
        #expect(!plain.contains("multipart"))
    }

    @Test("RFC 2047: a UTF-8 subject becomes encoded-words of at most 75 characters that decode back whole")
    func encodedWords() throws {
        let subject = "Vérifiez votre adresse e-mail pour l’application « Gatehouse » — 日本語のテキストも 🎉"
        let header = MIMEEncoding.headerText(subject)
        let words = header.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var bytes = Data()
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75, "\(word)")
            // Each word holds whole characters: it decodes on its own (RFC 2047 §5 (3)).
            let payload = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!
            #expect(String(data: payload, encoding: .utf8) != nil)
            bytes += payload
        }
        #expect(String(decoding: bytes, as: UTF8.self) == subject)
        #expect(MIMEEncoding.headerText("Plain ASCII subject") == "Plain ASCII subject")
        #expect(MIMEEncoding.headerText("a\r\nBcc: evil@example.com") == "a Bcc: evil@example.com", "no header injection")
        let named = try MailAddress("a@example.com", displayName: "Zoë")
        #expect(named.headerValue == "=?UTF-8?B?Wm/Dqw==?= <a@example.com>")
    }

    @Test("DATA transparency: CRLF everywhere, a leading dot doubled, CRLF.CRLF at the end (RFC 5321 §4.5.2)")
    func dotStuffing() {
        #expect(SMTPData.encode("a\nb\r\nc\rd") == "a\r\nb\r\nc\r\nd\r\n.\r\n")
        #expect(SMTPData.encode(".\n..x\n.y\nz.") == "..\r\n...x\r\n..y\r\nz.\r\n.\r\n")
        #expect(SMTPData.encode("ends with newline\r\n") == "ends with newline\r\n.\r\n")
        #expect(SMTPData.encode("") == ".\r\n")
    }

    @Test("addresses: local@domain in printable ASCII only; anything that could inject a command or header is refused")
    func addresses() throws {
        #expect(try MailAddress(" jane.doe+tag@example.co.uk ").address == "jane.doe+tag@example.co.uk")
        for bad in [
            "jane", "@example.com", "jane@", "a@b@c", "jane doe@example.com", "jane@example.com>\r\nRCPT TO:<x@y", "jö@example.com",
            "<a@b>",
        ] {
            #expect(throws: MailFormatError.self, "\(bad)") { try MailAddress(bad) }
        }
        #expect(throws: MailFormatError.self) { try MailAddress("a@b.c", displayName: "x\r\nBcc: y@z") }
    }
}
