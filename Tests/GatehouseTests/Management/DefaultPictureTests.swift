import Foundation
import GatehouseCore
import Testing

/// Auth0 gives database users a `picture`: the Gravatar of their e-mail, falling back to an
/// avatar of their initials (Auth0: "Change User Pictures"). The MD5s below were computed
/// outside Swift (`hashlib.md5`).
@Suite("Default pictures of database users") struct DefaultPictureTests {
    static func gravatar(_ md5: String, _ initials: String) -> JSONValue {
        .string("https://s.gravatar.com/avatar/\(md5)?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2F\(initials).png")
    }

    @Test("sign-up and the Management API give the Gravatar picture; the user's JSON and the ID token show it")
    func gravatarPictures() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()

            // Management API, with a two-word name: the initials are those of the name; the e-mail is trimmed and lower-cased.
            let created = try await client.json(
                .post, "/api/v2/users",
                .object([
                    "connection": "Username-Password-Authentication", "email": "John.Smith@Example.com", "name": "John Smith",
                    "password": "correct-horse-battery",
                ]), token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["picture"] == Self.gravatar("1bc5edb4799fd8eec67c66122f47eb73", "js"))

            // An explicit picture is kept.
            let explicit = try await client.json(
                .post, "/api/v2/users",
                .object([
                    "connection": "Username-Password-Authentication", "email": "pic@example.com", "password": "correct-horse-battery",
                    "picture": "https://img.example/me.png",
                ]), token: fixtures.token)
            #expect(explicit.json["picture"] == "https://img.example/me.png")

            // Public sign-up: the default name is the e-mail, so its first two letters are the initials.
            let signup = try await client.json(
                .post, "/dbconnections/signup",
                .object([
                    "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": "sam@example.com",
                    "password": "correct-horse-battery",
                ]))
            #expect(signup.status == .ok, "\(signup.text)")
            let users = try await client.json(.get, "/api/v2/users-by-email?email=sam@example.com", token: fixtures.token)
            let sam = try #require(users.json.arrayValue?.first, "\(users.text)")
            #expect(sam["picture"] == Self.gravatar("e179e95c00e7718ab4a23840f992ea63", "sa"))

            let login = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
                    "client_id": app.id, "client_secret": app.secret ?? "", "username": "sam@example.com",
                    "password": "correct-horse-battery", "scope": "openid profile",
                ])
            #expect(login.status == .ok, "\(login.text)")
            let idToken = jwtClaims(try #require(login.json["id_token"]?.stringValue))
            #expect(idToken["picture"] == Self.gravatar("e179e95c00e7718ab4a23840f992ea63", "sa"))

            let openidOnly = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
                    "client_id": app.id, "client_secret": app.secret ?? "", "username": "sam@example.com",
                    "password": "correct-horse-battery", "scope": "openid",
                ])
            #expect(jwtClaims(try #require(openidOnly.json["id_token"]?.stringValue))["picture"] == nil)
        }
    }

    @Test("GATEHOUSE_DEFAULT_PICTURE=none: new users get no picture unless one is given")
    func turnedOff() async throws {
        var configuration = TestServer.configuration()
        configuration.defaultPictures = false
        try await TestServer.run(configuration) { client in
            let fixtures = try await Fixtures.make(client)
            let id = try await fixtures.createUser()
            let user = try await client.json(.get, "/api/v2/users/\(id)", token: fixtures.token)
            #expect(user.status == .ok)
            #expect(user.json["picture"] == nil)
            #expect(user.json["email"] == "jane@example.com")
        }
    }
}
