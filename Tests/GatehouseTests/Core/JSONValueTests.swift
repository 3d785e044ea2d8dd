import Foundation
import GatehouseCore
import Testing

@Suite("JSON reading and writing") struct JSONValueTests {
    @Test(
        "valid JSON parses to the value Foundation's decoder sees",
        arguments: [
            #"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d"},"e":""}"#,
            #""\u00e9\ud83d\ude00 \"quoted\" \\ \/ \n\t""#,
            "  [ ]  ", "{}", "0", "-0.5", "1E+3", #""héllo wörld""#,
        ])
    func parsesLikeFoundation(text: String) throws {
        let ours = try #require(JSONValue(jsonText: text))
        let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == foundation)
    }

    @Test("a repeated key keeps its last value, as JavaScript's JSON.parse does")
    func duplicateKeys() {
        #expect(JSONValue(jsonText: #"{"dup":1,"dup":2}"#) == .object(["dup": 2]))
    }

    @Test(
        "invalid JSON is refused",
        arguments: [
            "", "{", "[1,]", "{\"a\":}", "tru", "01", "1.", ".5", "\"unterminated", "\"\\x\"", "\"\\ud800\"", "{a:1}",
            "[1] 2", "\"\u{01}\"", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        ])
    func refusesInvalid(text: String) {
        #expect(JSONValue(jsonText: text) == nil)
    }

    @Test("writing escapes what RFC 8259 requires and reads back to the same value")
    func roundTrip() throws {
        let value: JSONValue = .object([
            "text": .string("line\nbreak \"q\" \\ tab\t \u{01} é 😀"), "n": .number(42), "f": .number(0.25),
            "list": .array([.null, .bool(true), .object([:])]),
        ])
        let text = value.jsonText()
        #expect(text.contains(#"\n"#))
        #expect(text.contains(#"\u0001"#))
        #expect(text.hasPrefix(#"{"f":0.25,"#))
        #expect(JSONValue(jsonText: text) == value)
        #expect(JSONValue(jsonText: value.jsonText(pretty: true)) == value)
        let edges: JSONValue = .array(["\"starts", "ends\\", "", "\u{1F}", "plain", "\r\n"])
        #expect(edges.jsonText() == #"["\"starts","ends\\","","\u001f","plain","\r\n"]"#)
        var unsorted: [UInt8] = []
        value.append(to: &unsorted, sortedKeys: false)
        #expect(JSONValue(jsonData: Data(unsorted)) == value)
    }

    @Test("strings of any length are escaped exactly, wherever the character needing an escape falls")
    func escapesAtEveryPosition() {
        func expected(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        let plain = "abcdefghijklmnopqrstuvwxyz0123456789"
        for special in ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\t\r", "é", "😀", "\u{7F}"] {
            for position in 0...plain.count {
                let text = String(plain.prefix(position)) + special + String(plain.dropFirst(position))
                #expect(JSONValue.string(text).jsonText() == expected(text), "\(special) at \(position)")
                #expect(JSONValue(jsonText: JSONValue.string(text).jsonText()) == .string(text))
            }
        }
        #expect(JSONValue.string(plain).jsonText() == "\"\(plain)\"")
        #expect(JSONValue.string(String(repeating: "\"", count: 20)).jsonText() == "\"" + String(repeating: "\\\"", count: 20) + "\"")
    }

    @Test("numbers read exactly as the C library reads them, short decimals (read without it) included")
    func numbers() throws {
        var generator = SystemRandomNumberGenerator()
        var texts = [
            "0", "-0", "1", "-1", "0.1", "0.3", "2.5e-3", "1E+2", "123456789012345", "1234567890123456", "0.000000000000001",
            "9007199254740993", "0.1234567890123456789", "1.7976931348623157e308", "5e-324", "99.999999999999",
        ]
        for _ in 0..<2_000 {
            let digits = Int.random(in: 1...15, using: &generator)
            var text = String(UInt64.random(in: 0..<UInt64(pow(10.0, Double(digits))), using: &generator))
            let point = Int.random(in: 0...text.count, using: &generator)
            if point < text.count { text.insert(".", at: text.index(text.startIndex, offsetBy: point)) }
            if text.hasPrefix(".") { text = "0" + text }
            texts.append(Bool.random(using: &generator) ? "-" + text : text)
        }
        for text in texts {
            let expected = try #require(Double(text), "\(text)")
            let parsed = try #require(JSONValue(jsonText: text)?.numberValue, "\(text)")
            #expect(parsed.bitPattern == expected.bitPattern, "\(text): \(parsed) instead of \(expected)")
        }
    }
}
