import Crypto
import GatehouseCore

/// RFC 6238 written again for the tests (base32 and HMAC-SHA1 from swift-crypto), so the codes
/// the server accepts are checked against the algorithm authenticator apps run, not against the
/// server's own library.
enum AuthenticatorApp {
    static func base32Decode(_ text: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0
        var value = 0
        var bytes: [UInt8] = []
        for character in text.uppercased() where character != "=" {
            guard let index = alphabet.firstIndex(of: character) else { continue }
            value = value << 5 | index
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((value >> (bits - 8)) & 0xff))
                bits -= 8
            }
        }
        return bytes
    }

    static func code(secret: String, at millis: EpochMillis) -> String {
        let counter = UInt64(millis / 1000 / 30)
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: base32Decode(secret))))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let number =
            (Int(mac[offset] & 0x7f) << 24 | Int(mac[offset + 1]) << 16 | Int(mac[offset + 2]) << 8 | Int(mac[offset + 3])) % 1_000_000
        let digits = String(number)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }
}
