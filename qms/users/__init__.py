"""People of the agency: accounts, roles and signing delegations."""
