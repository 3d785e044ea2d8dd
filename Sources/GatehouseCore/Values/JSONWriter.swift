/// Writes compact JSON text (RFC 8259) into a growing byte buffer of its own: one bounds check
/// per piece rather than per byte, and no uniqueness check of an `Array` per append. The sandbox
/// writes every flow's request frame with it; `JSONValue.jsonData()` and `append(to:)` use it too.
///
/// Strings are escaped as RFC 8259 §7 requires (quote, backslash, control characters); other
/// characters, multi-byte UTF-8 included, pass through.
public struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The text written so far.
    public consuming func bytes() -> [UInt8] {
        [UInt8](UnsafeBufferPointer(start: base, count: count))
    }

    /// Appends bytes that are already JSON text (or punctuation) as they are.
    public mutating func appendRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let source = bytes.baseAddress { (base + count).update(from: source, count: bytes.count) }
        count += bytes.count
    }

    public mutating func appendRaw(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { appendRaw($0) }
    }

    public mutating func appendRaw(_ text: StaticString) {
        appendRaw(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func appendByte(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    /// Appends `value`. Without `sortedKeys`, object members come in the dictionary's order:
    /// faster, for text that is read once and never compared.
    public mutating func append(_ value: JSONValue, sortedKeys: Bool) {
        switch value {
        case .null: appendRaw("null")
        case .bool(let flag): flag ? appendRaw("true") : appendRaw("false")
        case .number(let number): appendNumber(number)
        case .string(let text): appendString(text)
        case .array(let values):
            appendByte(UInt8(ascii: "["))
            for index in values.indices {
                if index > 0 { appendByte(UInt8(ascii: ",")) }
                append(values[index], sortedKeys: sortedKeys)
            }
            appendByte(UInt8(ascii: "]"))
        case .object(let members):
            appendByte(UInt8(ascii: "{"))
            var first = true
            if sortedKeys {
                for key in members.keys.sorted() {
                    if !first { appendByte(UInt8(ascii: ",")) }
                    first = false
                    appendString(key)
                    appendByte(UInt8(ascii: ":"))
                    append(members[key]!, sortedKeys: true)
                }
            } else {
                for (key, member) in members {
                    if !first { appendByte(UInt8(ascii: ",")) }
                    first = false
                    appendString(key)
                    appendByte(UInt8(ascii: ":"))
                    append(member, sortedKeys: false)
                }
            }
            appendByte(UInt8(ascii: "}"))
        }
    }

    /// Integers print without a fraction; non-finite numbers (never produced by parsing) as null.
    public mutating func appendNumber(_ number: Double) {
        guard number.isFinite else { return appendRaw("null") }
        var text = number.rounded() == number && abs(number) < 9_007_199_254_740_992 ? String(Int64(number)) : "\(number)"
        text.withUTF8 { appendRaw($0) }
    }

    /// A JSON string literal.
    public mutating func appendString(_ string: String) {
        var string = string
        string.withUTF8 { appendString(utf8: $0) }
    }

    /// A JSON string literal of UTF-8 bytes, written straight into the buffer. Eight bytes at a
    /// time are checked for a byte that needs an escape (quote, backslash, control character)
    /// and copied as one word when none does.
    public mutating func appendString(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let end = bytes.count
        reserve(end + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1
        if let source = bytes.baseAddress {
            var index = 0
            while index < end {
                if end - index >= 8 {
                    let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                    if !Self.mayNeedEscape(word) {
                        UnsafeMutableRawPointer(base + count).storeBytes(of: word, as: UInt64.self)
                        count += 8
                        index += 8
                        continue
                    }
                }
                let byte = source[index]
                index += 1
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                    base[count] = byte
                    count += 1
                } else {
                    appendEscape(byte)
                    reserve(end - index + 1)  // room again for the rest and the closing quote
                }
            }
        }
        base[count] = UInt8(ascii: "\"")
        count += 1
    }

    /// Whether any byte of `word` may be a quote, a backslash or below 0x20: never false when one
    /// is (a true answer is checked byte by byte). The classic "has a zero byte" and "has a byte
    /// less than n" word tests.
    @inline(__always)
    private static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highBits
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let quotes = (quote &- ones) & ~quote & highBits
        let backslashes = (backslash &- ones) & ~backslash & highBits
        return (control | quotes | backslashes) != 0
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func appendEscape(_ byte: UInt8) {
        appendByte(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): appendByte(byte)
        case UInt8(ascii: "\n"): appendByte(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): appendByte(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): appendByte(UInt8(ascii: "t"))
        default:
            appendRaw("u00")
            appendByte(Self.hexDigits[Int(byte >> 4)])
            appendByte(Self.hexDigits[Int(byte & 0x0F)])
        }
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
