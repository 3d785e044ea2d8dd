import Foundation

extension JSONValue {
    /// Compact (or indented), key-sorted JSON text. Written directly as UTF-8 (`JSONWriter`)
    /// rather than through `JSONEncoder`: this runs on the sandbox round trip of every flow.
    public func jsonText(pretty: Bool = false) -> String {
        String(decoding: jsonData(pretty: pretty), as: UTF8.self)
    }

    /// The same, as UTF-8 bytes.
    public func jsonData(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        if pretty {
            writeIndented(to: &writer, indent: 0)
        } else {
            writer.append(self, sortedKeys: true)
        }
        return writer.bytes()
    }

    /// Appends compact JSON to `output`. Without `sortedKeys`, object members come in the
    /// dictionary's order: faster, for text that is read once and never compared.
    public func append(to output: inout [UInt8], sortedKeys: Bool = true) {
        var writer = JSONWriter(capacity: 512)
        writer.append(self, sortedKeys: sortedKeys)
        output.append(contentsOf: writer.bytes())
    }

    /// Key-sorted, two spaces per level.
    private func writeIndented(to writer: inout JSONWriter, indent: Int) {
        switch self {
        case .array(let values) where !values.isEmpty:
            writer.appendByte(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { writer.appendByte(UInt8(ascii: ",")) }
                Self.newline(&writer, indent + 1)
                value.writeIndented(to: &writer, indent: indent + 1)
            }
            Self.newline(&writer, indent)
            writer.appendByte(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            writer.appendByte(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { writer.appendByte(UInt8(ascii: ",")) }
                Self.newline(&writer, indent + 1)
                writer.appendString(key)
                writer.appendRaw(": ")
                members[key]!.writeIndented(to: &writer, indent: indent + 1)
            }
            Self.newline(&writer, indent)
            writer.appendByte(UInt8(ascii: "}"))
        default:
            writer.append(self, sortedKeys: true)
        }
    }

    private static func newline(_ writer: inout JSONWriter, _ indent: Int) {
        writer.appendByte(UInt8(ascii: "\n"))
        for _ in 0..<(indent * 2) { writer.appendByte(UInt8(ascii: " ")) }
    }
}
