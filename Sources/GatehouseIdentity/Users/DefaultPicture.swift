import Crypto
import Foundation

/// The `picture` Auth0 gives a database user created without one: the Gravatar of the e-mail
/// address, falling back to Auth0's avatar of the user's initials (Auth0: "Change User
/// Pictures": "By default, all database users will have a placeholder image with their
/// initials"; the URL shape is Auth0's, `https://s.gravatar.com/avatar/<md5>?s=480&r=pg&d=<fallback>`).
/// Turned off with `GATEHOUSE_DEFAULT_PICTURE=none`.
public enum DefaultPicture {
    /// The Gravatar URL for `email`, with the initials of `name` as the fallback image.
    public static func gravatar(email: String, name: String) -> String {
        let normalized = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let digest = Insecure.MD5.hash(data: Data(normalized.utf8)).map { String(format: "%02x", $0) }.joined()
        return "https://s.gravatar.com/avatar/\(digest)?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F\(initials(name)).png"
    }

    /// Two lower-case initials: the first letters of the first two words of `name`, or its
    /// first two letters when it is one word (an e-mail address, as database users' default
    /// name is). Only ASCII letters and digits, as Auth0's avatar images exist for those.
    static func initials(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0.isWhitespace }).map { word in
            word.lowercased().unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        }.filter { !$0.isEmpty }
        let letters: [Unicode.Scalar] =
            words.count >= 2 ? words.prefix(2).compactMap(\.first) : words.first.map { Array($0.prefix(2)) } ?? []
        return letters.isEmpty ? "un" : String(String.UnicodeScalarView(letters))
    }
}
