import GatehouseCore

/// A user of a database connection, in Auth0's profile shape.
public struct UserRecord: Codable, Sendable, Equatable {
    public var user_id: String
    public var connection: String
    public var email: String?
    public var email_verified: Bool
    public var username: String?
    public var phone_number: String?
    public var phone_verified: Bool?
    public var name: String?
    public var nickname: String?
    public var given_name: String?
    public var family_name: String?
    public var picture: String?
    public var app_metadata: JSONValue
    public var user_metadata: JSONValue
    public var blocked: Bool
    public var created_at: String
    public var updated_at: String
    public var last_login: String?
    public var last_ip: String?
    public var logins_count: Int
    public var last_password_reset: String?

    public init(
        user_id: String, connection: String, email: String? = nil, email_verified: Bool = false,
        username: String? = nil, phone_number: String? = nil, phone_verified: Bool? = nil, name: String? = nil,
        nickname: String? = nil, given_name: String? = nil, family_name: String? = nil, picture: String? = nil,
        app_metadata: JSONValue = .object([:]), user_metadata: JSONValue = .object([:]), blocked: Bool = false,
        created_at: String, updated_at: String, last_login: String? = nil, last_ip: String? = nil,
        logins_count: Int = 0, last_password_reset: String? = nil
    ) {
        self.user_id = user_id
        self.connection = connection
        self.email = email
        self.email_verified = email_verified
        self.username = username
        self.phone_number = phone_number
        self.phone_verified = phone_verified
        self.name = name
        self.nickname = nickname
        self.given_name = given_name
        self.family_name = family_name
        self.picture = picture
        self.app_metadata = app_metadata
        self.user_metadata = user_metadata
        self.blocked = blocked
        self.created_at = created_at
        self.updated_at = updated_at
        self.last_login = last_login
        self.last_ip = last_ip
        self.logins_count = logins_count
        self.last_password_reset = last_password_reset
    }

    /// The part after `auth0|`: the id within the connection, as `identities[].user_id` shows it.
    public var localID: String {
        user_id.split(separator: "|", maxSplits: 1).last.map(String.init) ?? user_id
    }
}

extension UserRecord {
    /// The name the tenant log shows for this user (`user_name`), as Auth0 does: the email, else
    /// the username, else the phone number.
    public var logName: String? { email ?? username ?? phone_number }
}
