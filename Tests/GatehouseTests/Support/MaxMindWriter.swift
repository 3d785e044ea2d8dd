import Foundation
import GatehouseCore

/// Writes small MaxMind DB files for tests, in the format `MaxMindDatabase` reads: a search
/// tree of `recordSize`-bit records, 16 zero bytes, the data section (strings seen before are
/// written as pointers, as MaxMind's own writer does), the marker, the metadata map.
struct MaxMindWriter {
    var ipVersion = 6
    var recordSize = 28
    private var networks: [(bits: [UInt8], record: JSONValue)] = []

    init(ipVersion: Int = 6, recordSize: Int = 28) {
        self.ipVersion = ipVersion
        self.recordSize = recordSize
    }

    /// A database file in the temporary directory that places every loopback (and unspecified)
    /// IPv4 address in Paris, for server tests whose requests come from 127.0.0.1 or 0.0.0.0.
    /// The caller removes it.
    static func loopbackInParis() throws -> URL {
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("geoip-\(RandomIdentifier.hex(byteCount: 6)).mmdb")
        var writer = MaxMindWriter()
        writer.insert("127.0.0.0/8", MaxMindDatabaseTests.paris)
        writer.insert("0.0.0.0/8", MaxMindDatabaseTests.paris)
        try Data(writer.bytes()).write(to: file)
        return file
    }

    /// Adds `cidr` ("127.0.0.0/8", "2001:db8::/32") with its record.
    mutating func insert(_ cidr: String, _ record: JSONValue) {
        let parts = cidr.split(separator: "/")
        let length = Int(parts[1])!
        var bits = Self.bits(String(parts[0]))
        if bits.count == 32 && ipVersion == 6 { bits = Array(repeating: 0, count: 96) + bits }
        let prefix = length + (bits.count == 128 && String(parts[0]).contains(".") ? 96 : 0)
        networks.append((Array(bits.prefix(prefix)), record))
    }

    static func bits(_ address: String) -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: v4) { Array($0) }.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }
        }
        var v6 = in6_addr()
        precondition(inet_pton(AF_INET6, address, &v6) == 1, "not an address: \(address)")
        return withUnsafeBytes(of: v6) { Array($0) }.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }
    }

    private enum Child {
        case empty
        case node(Int)
        case data(Int)
    }

    func bytes() -> [UInt8] {
        var data = DataSection()
        var nodes: [[Child]] = [[.empty, .empty]]
        for network in networks {
            let offset = data.write(network.record)
            var node = 0
            for (index, bit) in network.bits.enumerated() {
                if index == network.bits.count - 1 {
                    nodes[node][Int(bit)] = .data(offset)
                } else if case .node(let next) = nodes[node][Int(bit)] {
                    node = next
                } else {
                    nodes.append([.empty, .empty])
                    nodes[node][Int(bit)] = .node(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
        }
        let count = nodes.count
        func value(_ child: Child) -> Int {
            switch child {
            case .empty: count
            case .node(let index): index
            case .data(let offset): count + 16 + offset
            }
        }
        var out: [UInt8] = []
        for node in nodes {
            let (left, right) = (value(node[0]), value(node[1]))
            switch recordSize {
            case 24: out += Self.bigEndian(left, 3) + Self.bigEndian(right, 3)
            case 28:
                out += Self.bigEndian(left & 0xFF_FFFF, 3)
                out.append(UInt8((left >> 24) & 0x0F) << 4 | UInt8((right >> 24) & 0x0F))
                out += Self.bigEndian(right & 0xFF_FFFF, 3)
            default: out += Self.bigEndian(left, 4) + Self.bigEndian(right, 4)
            }
        }
        out += Array(repeating: 0, count: 16)
        out += data.bytes
        out += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        var metadata = DataSection(pointers: false)
        _ = metadata.write(
            .object([
                "node_count": .number(Double(count)), "record_size": .number(Double(recordSize)),
                "ip_version": .number(Double(ipVersion)), "database_type": "Gatehouse-Test-City",
                "binary_format_major_version": 2, "binary_format_minor_version": 0, "languages": .array(["en"]),
            ]))
        out += metadata.bytes
        return out
    }

    static func bigEndian(_ value: Int, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8((value >> (8 * (count - 1 - $0))) & 0xFF) }
    }

    /// The typed values of the data section.
    struct DataSection {
        var bytes: [UInt8] = []
        var pointers = true
        private var written: [String: Int] = [:]

        init(pointers: Bool = true) {
            self.pointers = pointers
        }

        mutating func write(_ value: JSONValue) -> Int {
            let offset = bytes.count
            encode(value)
            return offset
        }

        private mutating func control(type: Int, size: Int) {
            let sizeBits = size < 29 ? size : size < 285 ? 29 : 30
            if type <= 7 {
                bytes.append(UInt8(type << 5 | sizeBits))
            } else {
                bytes.append(UInt8(sizeBits))
                bytes.append(UInt8(type - 7))
            }
            if size >= 285 { bytes += MaxMindWriter.bigEndian(size - 285, 2) } else if size >= 29 { bytes.append(UInt8(size - 29)) }
        }

        private mutating func encode(_ value: JSONValue) {
            switch value {
            case .string(let text):
                if pointers, text.utf8.count >= 4, let previous = written[text], previous < 2048 {
                    bytes.append(UInt8(1 << 5 | previous >> 8))
                    bytes.append(UInt8(previous & 0xFF))
                    return
                }
                written[text] = bytes.count
                control(type: 2, size: text.utf8.count)
                bytes += Array(text.utf8)
            case .number(let number) where number >= 0 && number == number.rounded() && number < 4_294_967_296:
                let raw = Int(number)
                let size = raw == 0 ? 0 : (raw.bitWidth - raw.leadingZeroBitCount + 7) / 8
                control(type: 6, size: size)
                bytes += MaxMindWriter.bigEndian(raw, size)
            case .number(let number):
                control(type: 3, size: 8)
                bytes += MaxMindWriter.bigEndian(Int(truncatingIfNeeded: number.bitPattern), 8)
            case .bool(let flag):
                control(type: 14, size: flag ? 1 : 0)
            case .array(let items):
                control(type: 11, size: items.count)
                for item in items { encode(item) }
            case .object(let object):
                control(type: 7, size: object.count)
                for (key, item) in object.sorted(by: { $0.key < $1.key }) {
                    encode(.string(key))
                    encode(item)
                }
            case .null:
                control(type: 2, size: 0)
            }
        }
    }
}
