import Testing

@testable import GatehouseHTTP

@Suite("QR codes of the TOTP enrolment page (libqrcodegen)") struct QRCodeTests {
    static let uri = "otpauth://totp/localhost:jane%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=localhost"

    @Test("an otpauth URI becomes a valid symbol: version size, three finder patterns, timing pattern")
    func symbol() throws {
        let code = try #require(QRCode(Self.uri))
        #expect((code.size - 17) % 4 == 0 && code.size > 21, "size \(code.size)")
        // Finder patterns (ISO/IEC 18004 §6.3.3): 7×7 dark ring, light ring, 3×3 dark centre,
        // at three corners.
        for (left, top) in [(0, 0), (code.size - 7, 0), (0, code.size - 7)] {
            for offset in 0..<7 {
                #expect(code.isDark(x: left + offset, y: top) && code.isDark(x: left + offset, y: top + 6))
                #expect(code.isDark(x: left, y: top + offset) && code.isDark(x: left + 6, y: top + offset))
            }
            for offset in 1..<6 { #expect(!code.isDark(x: left + offset, y: top + 1)) }
            for dx in 2..<5 { for dy in 2..<5 { #expect(code.isDark(x: left + dx, y: top + dy)) } }
        }
        // The bottom-right corner has no finder pattern; the timing pattern alternates.
        #expect(!(0..<7).allSatisfy { code.isDark(x: code.size - 7 + $0, y: code.size - 7) })
        for x in 8..<(code.size - 8) { #expect(code.isDark(x: x, y: 6) == (x % 2 == 0)) }
        #expect(!code.isDark(x: -1, y: 0) && !code.isDark(x: code.size, y: 0))
    }

    @Test("the SVG draws one unit square per dark module inside a 4-module quiet zone")
    func svg() throws {
        let code = try #require(QRCode(Self.uri))
        let svg = code.svg(label: "Scan <this>")
        let side = code.size + 8
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("aria-label=\"Scan &lt;this&gt;\""))
        var dark = 0
        for y in 0..<code.size { for x in 0..<code.size where code.isDark(x: x, y: y) { dark += 1 } }
        #expect(svg.components(separatedBy: "h1v1h-1z").count - 1 == dark)
        #expect(svg.contains("M4,4h1v1h-1z"))  // the top-left finder's corner, offset by the quiet zone
    }

    @Test("text too long for a version 40 symbol is refused, not truncated")
    func tooLong() {
        #expect(QRCode(String(repeating: "x", count: 3_000)) == nil)
        #expect(QRCode("") != nil)
    }
}
