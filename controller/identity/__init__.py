"""Identity (Keystone v3 compatible): users, projects, roles, the catalog and Fernet tokens.

Every other API validates tokens through ``validation.make_validator``: in the identity
process directly with the Fernet keys and the database, elsewhere over HTTP. Importing the
package registers the ``[identity]`` options that all its modules read.
"""
