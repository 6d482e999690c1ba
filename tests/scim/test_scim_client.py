"""An independent SCIM client (``scim2-client`` / ``scim2-models``) drives the service.

It discovers the service (ServiceProviderConfig, ResourceTypes, Schemas), then creates,
reads, filters, patches, replaces and deletes users and groups, validating every response
payload against its own models of RFC 7643.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from scim2_client.engines.asgi import ASGISCIMClient
from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    Name,
    PatchOp,
    PatchOperation,
    ResourceType,
    ScimProvider,
    SearchRequest,
    User,
)
from scim2_models.exceptions import SCIMException

from tests.support import Harness


@pytest.fixture
async def scim(h: Harness) -> AsyncIterator[ASGISCIMClient]:
    token = await h.m2m_token("root", ["users:read", "users:write", "groups:read", "groups:write"])
    client = ASGISCIMClient(
        h.app,
        base_url=f"{h.settings.issuer}/scim2",
        headers={"authorization": f"Bearer {token}"},
        provider=ScimProvider(
            models=[User, EnterpriseUser, Group],
            resource_types=[
                ResourceType.from_resource(User[EnterpriseUser]),
                ResourceType.from_resource(Group),
            ],
        ),
    )
    await client.discover()
    yield client


async def test_discovery_is_valid(scim: ASGISCIMClient) -> None:
    config = scim.provider.config
    assert config is not None
    assert config.patch.supported and config.bulk.supported and config.filter.supported
    assert config.etag.supported and config.sort.supported


async def test_client_builds_models_from_published_schemas(h: Harness) -> None:
    """With no models of its own the client builds them from /Schemas and /ResourceTypes."""
    token = await h.m2m_token("root", ["users:read", "users:write", "roles:read"])
    client = ASGISCIMClient(
        h.app,
        base_url=f"{h.settings.issuer}/scim2",
        headers={"authorization": f"Bearer {token}"},
    )
    await client.discover()
    names = {rt.name for rt in client.provider.resource_types}
    assert names == {"User", "Group", "Role"}
    user_type = next(rt for rt in client.provider.resource_types if rt.name == "User")
    assert [e.schema_ for e in user_type.schema_extensions] == [
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    ]
    model = client.provider.model_for("User")
    assert model is not None
    created = await client.create(model.model_validate({"userName": "discovered"}))
    assert created.id
    roles = await client.query(client.provider.model_for("Role"))
    assert roles.total_results >= 1


async def test_users_lifecycle(scim: ASGISCIMClient) -> None:
    user = User[EnterpriseUser](
        user_name="bjensen@example.com",
        name=Name(given_name="Barbara", family_name="Jensen"),
        display_name="Babs Jensen",
        emails=[Email(value="bjensen@example.com", type="work", primary=True)],
        password="t1meMa$heen-long",
    )
    user[EnterpriseUser] = EnterpriseUser(employee_number="701984")
    created = await scim.create(user)
    assert created.id and created.meta.version
    assert created.password is None  # returned: never
    assert created[EnterpriseUser].employee_number == "701984"

    fetched = await scim.query(User[EnterpriseUser], created.id)
    assert fetched.user_name == "bjensen@example.com"
    assert fetched.name.family_name == "Jensen"

    # Filters: case-insensitive userName, complex attribute filter, extension attribute.
    for expression in (
        'userName eq "BJENSEN@example.com"',
        'emails[type eq "work" and value co "@example.com"]',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"',
        'name.familyName sw "jen" and not (displayName eq "nobody")',
    ):
        found = await scim.query(
            User[EnterpriseUser], query_parameters=SearchRequest(filter=expression)
        )
        assert found.total_results == 1, expression
        assert found.resources[0].id == created.id

    none = await scim.query(
        User[EnterpriseUser], query_parameters=SearchRequest(filter='userName eq "nobody"')
    )
    assert none.total_results == 0

    # PATCH with a value filter path, then a replace of the whole resource.
    patched = await scim.modify(
        User[EnterpriseUser],
        created.id,
        PatchOp[User[EnterpriseUser]](
            operations=[
                PatchOperation(
                    op=PatchOperation.Op.replace_,
                    path='emails[type eq "work"].value',
                    value="barbara@example.com",
                ),
                PatchOperation(op=PatchOperation.Op.add, path="nickName", value="Babs"),
            ]
        ),
    )
    assert patched.emails[0].value == "barbara@example.com"
    assert patched.nick_name == "Babs"
    assert patched.meta.version != created.meta.version

    patched.display_name = "Barbara Jensen"
    patched.nick_name = None
    replaced = await scim.replace(patched)
    assert replaced.display_name == "Barbara Jensen"
    assert replaced.nick_name is None

    await scim.delete(User[EnterpriseUser], created.id)
    with pytest.raises(SCIMException):
        await scim.query(User[EnterpriseUser], created.id)


async def test_groups_lifecycle(scim: ASGISCIMClient) -> None:
    alice = await scim.create(User[EnterpriseUser](user_name="alice"))
    bob = await scim.create(User[EnterpriseUser](user_name="bob"))
    group = await scim.create(
        Group(display_name="Tour Guides", members=[GroupMember(value=alice.id)])
    )
    assert [m.value for m in group.members] == [alice.id]

    found = await scim.query(
        Group, query_parameters=SearchRequest(filter='displayName eq "tour guides"')
    )
    assert found.total_results == 1

    patched = await scim.modify(
        Group,
        group.id,
        PatchOp[Group](
            operations=[
                PatchOperation(op=PatchOperation.Op.add, path="members", value=[{"value": bob.id}])
            ]
        ),
    )
    assert {m.value for m in patched.members} == {alice.id, bob.id}

    removed = await scim.modify(
        Group,
        group.id,
        PatchOp[Group](
            operations=[
                PatchOperation(op=PatchOperation.Op.remove, path=f'members[value eq "{alice.id}"]')
            ]
        ),
    )
    assert [m.value for m in removed.members] == [bob.id]

    removed.display_name = "Guides"
    replaced = await scim.replace(removed)
    assert replaced.display_name == "Guides"

    member_of = await scim.query(User[EnterpriseUser], bob.id)
    assert [g.display for g in member_of.groups] == ["Guides"]

    await scim.delete(Group, group.id)
    with pytest.raises(SCIMException):
        await scim.query(Group, group.id)
