package sqlschema

// PostgreSQL schema version that Kea 2.2 requires and lessor creates.
const (
	PgSQLMajor = 13
	PgSQLMinor = 0
)

// pgSeqDefault numbers rows in the order they are added (microseconds of
// the insert; a default needs no privilege, unlike a sequence, so Kea's
// inserts get it too).
const pgSeqDefault = `BIGINT DEFAULT (extract(epoch from clock_timestamp()) * 1000000)::bigint`

// PgSQLAdditions are lessor's objects on top of Kea's schema: an index on
// lease6 addresses in numeric order (Kea 2.2 keeps lease6.address as text,
// so without it a numeric page walk would sort the whole table) and a
// lessor_seq column on each lease table that records the order in which
// leases were added, for memfile's order of secondary lookups. Kea names
// the columns of its statements, so it ignores them.
var PgSQLAdditions = []Addition{
	{Name: "lease6 numeric address index",
		Exists: `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'lessor_lease6_by_inet'`,
		DDL:    `CREATE INDEX IF NOT EXISTS lessor_lease6_by_inet ON lease6 ((address::inet))`},
	{Name: "lease4 order column",
		Exists: `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'lease4' AND column_name = 'lessor_seq'`,
		DDL:    `ALTER TABLE lease4 ADD COLUMN IF NOT EXISTS lessor_seq ` + pgSeqDefault},
	{Name: "lease6 order column",
		Exists: `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'lease6' AND column_name = 'lessor_seq'`,
		DDL:    `ALTER TABLE lease6 ADD COLUMN IF NOT EXISTS lessor_seq ` + pgSeqDefault},
}

// PgSQL is the statement list that creates the lease part of Kea 2.2's
// PostgreSQL schema 13.0: lease tables with Kea's column types, indexes and
// constraints, the lookup tables, the statistics tables maintained by
// triggers, the limit-checking functions Kea prepares statements against,
// the lease-dump helpers used by kea-admin, and the schema_version row.
var PgSQL = []string{
	`CREATE TABLE lease_state (
		state BIGINT PRIMARY KEY NOT NULL,
		name VARCHAR(64) NOT NULL)`,
	`INSERT INTO lease_state VALUES (0, 'default'), (1, 'declined'), (2, 'expired-reclaimed')`,
	`CREATE TABLE lease6_types (
		lease_type SMALLINT PRIMARY KEY NOT NULL,
		name VARCHAR(5))`,
	`INSERT INTO lease6_types VALUES (0, 'IA_NA'), (1, 'IA_TA'), (2, 'IA_PD')`,
	`CREATE TABLE lease_hwaddr_source (
		hwaddr_source INT PRIMARY KEY NOT NULL,
		name VARCHAR(40) DEFAULT NULL)`,
	`INSERT INTO lease_hwaddr_source VALUES
		(0, 'HWADDR_SOURCE_UNKNOWN'),
		(1, 'HWADDR_SOURCE_RAW'),
		(2, 'HWADDR_SOURCE_IPV6_LINK_LOCAL'),
		(4, 'HWADDR_SOURCE_DUID'),
		(8, 'HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION'),
		(16, 'HWADDR_SOURCE_REMOTE_ID'),
		(32, 'HWADDR_SOURCE_SUBSCRIBER_ID'),
		(64, 'HWADDR_SOURCE_DOCSIS_CMTS'),
		(128, 'HWADDR_SOURCE_DOCSIS_MODEM')`,

	`CREATE TABLE lease4 (
		address BIGINT PRIMARY KEY NOT NULL,
		hwaddr BYTEA,
		client_id BYTEA,
		valid_lifetime BIGINT,
		expire TIMESTAMP WITH TIME ZONE,
		subnet_id BIGINT,
		fqdn_fwd BOOLEAN,
		fqdn_rev BOOLEAN,
		hostname VARCHAR(255),
		state BIGINT DEFAULT 0,
		user_context TEXT,
		CONSTRAINT fk_lease4_state FOREIGN KEY (state) REFERENCES lease_state (state))`,
	`CREATE INDEX lease4_by_client_id_subnet_id ON lease4 (client_id, subnet_id)`,
	`CREATE INDEX lease4_by_hostname ON lease4 (lower(hostname)) WHERE hostname IS NOT NULL`,
	`CREATE INDEX lease4_by_hwaddr_subnet_id ON lease4 (hwaddr, subnet_id)`,
	`CREATE INDEX lease4_by_state_expire ON lease4 (state, expire)`,
	`CREATE INDEX lease4_by_subnet_id ON lease4 (subnet_id)`,

	`CREATE TABLE lease6 (
		address VARCHAR(39) PRIMARY KEY NOT NULL,
		duid BYTEA,
		valid_lifetime BIGINT,
		expire TIMESTAMP WITH TIME ZONE,
		subnet_id BIGINT,
		pref_lifetime BIGINT,
		lease_type SMALLINT,
		iaid INT,
		prefix_len SMALLINT,
		fqdn_fwd BOOLEAN,
		fqdn_rev BOOLEAN,
		hostname VARCHAR(255),
		state BIGINT DEFAULT 0,
		hwaddr BYTEA,
		hwtype SMALLINT,
		hwaddr_source SMALLINT,
		user_context TEXT,
		CONSTRAINT fk_lease6_type FOREIGN KEY (lease_type) REFERENCES lease6_types (lease_type),
		CONSTRAINT fk_lease6_state FOREIGN KEY (state) REFERENCES lease_state (state))`,
	`CREATE INDEX lease6_by_duid_iaid_subnet_id ON lease6 (duid, iaid, subnet_id)`,
	`CREATE INDEX lease6_by_hostname ON lease6 (lower(hostname)) WHERE hostname IS NOT NULL`,
	`CREATE INDEX lease6_by_state_expire ON lease6 (state, expire)`,
	`CREATE INDEX lease6_by_subnet_id_lease_type ON lease6 (subnet_id, lease_type)`,
	PgSQLAdditions[0].DDL,
	PgSQLAdditions[1].DDL,
	PgSQLAdditions[2].DDL,

	`CREATE TABLE lease4_stat (
		subnet_id BIGINT NOT NULL,
		state BIGINT NOT NULL,
		leases BIGINT,
		PRIMARY KEY (subnet_id, state))`,
	`CREATE TABLE lease6_stat (
		subnet_id BIGINT NOT NULL,
		lease_type SMALLINT NOT NULL,
		state BIGINT NOT NULL,
		leases BIGINT,
		PRIMARY KEY (subnet_id, lease_type, state))`,
	`CREATE TABLE lease4_stat_by_client_class (
		client_class VARCHAR(128) PRIMARY KEY NOT NULL,
		leases BIGINT NOT NULL)`,
	`CREATE TABLE lease6_stat_by_client_class (
		client_class VARCHAR(128) NOT NULL,
		lease_type SMALLINT NOT NULL,
		leases BIGINT NOT NULL,
		PRIMARY KEY (client_class, lease_type),
		CONSTRAINT fk_lease6_stat_by_client_class_lease_type FOREIGN KEY (lease_type)
			REFERENCES lease6_types (lease_type))`,

	// json_cast reads a user context; an empty one is an empty map.
	`CREATE FUNCTION json_cast(json_candidate TEXT) RETURNS JSON AS $$
	BEGIN
		IF json_candidate IS NULL OR LENGTH(json_candidate) = 0 THEN
			RETURN '{}'::json;
		END IF;
		RETURN json_candidate::json;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION isJsonSupported() RETURNS BOOLEAN AS $$
		SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'json_extract_path');
	$$ LANGUAGE sql`,
	// classesOf lists the client classes named in a user context.
	`CREATE FUNCTION lessor_classes(ctx TEXT) RETURNS SETOF TEXT AS $$
		SELECT c FROM json_array_elements_text(
			CASE WHEN json_typeof(json_cast(ctx)->'ISC'->'client-classes') = 'array'
			THEN json_cast(ctx)->'ISC'->'client-classes' ELSE '[]'::json END) AS c;
	$$ LANGUAGE sql`,

	// Statistics: counts of default (0) and declined (1) leases per
	// subnet (and type), and of default leases per client class.
	`CREATE FUNCTION lease4_AINS_lease4_stat(new_state BIGINT, new_subnet_id BIGINT) RETURNS VOID AS $$
	BEGIN
		IF new_state = 0 OR new_state = 1 THEN
			INSERT INTO lease4_stat VALUES (new_subnet_id, new_state, 1)
				ON CONFLICT (subnet_id, state) DO UPDATE SET leases = lease4_stat.leases + 1;
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease4_ADEL_lease4_stat(old_state BIGINT, old_subnet_id BIGINT) RETURNS VOID AS $$
	BEGIN
		IF old_state = 0 OR old_state = 1 THEN
			UPDATE lease4_stat SET leases = GREATEST(leases - 1, 0)
				WHERE subnet_id = old_subnet_id AND state = old_state;
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease4_AUPD_lease4_stat(old_state BIGINT, old_subnet_id BIGINT,
		new_state BIGINT, new_subnet_id BIGINT) RETURNS VOID AS $$
	BEGIN
		IF old_subnet_id != new_subnet_id OR old_state != new_state THEN
			PERFORM lease4_ADEL_lease4_stat(old_state, old_subnet_id);
			PERFORM lease4_AINS_lease4_stat(new_state, new_subnet_id);
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease4_AINS_lease4_stat_by_client_class(new_state BIGINT, new_user_context TEXT) RETURNS VOID AS $$
	BEGIN
		IF new_state = 0 THEN
			INSERT INTO lease4_stat_by_client_class
				SELECT c, 1 FROM lessor_classes(new_user_context) AS c
				ON CONFLICT (client_class) DO UPDATE
					SET leases = lease4_stat_by_client_class.leases + 1;
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease4_ADEL_lease4_stat_by_client_class(old_state BIGINT, old_user_context TEXT) RETURNS VOID AS $$
	BEGIN
		IF old_state = 0 THEN
			UPDATE lease4_stat_by_client_class SET leases = GREATEST(leases - 1, 0)
				WHERE client_class IN (SELECT c FROM lessor_classes(old_user_context) AS c);
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease4_AUPD_lease4_stat_by_client_class(old_state BIGINT, old_user_context TEXT,
		new_state BIGINT, new_user_context TEXT) RETURNS VOID AS $$
	BEGIN
		IF old_state != new_state OR
			(json_cast(old_user_context)->'ISC'->'client-classes')::text IS DISTINCT FROM
			(json_cast(new_user_context)->'ISC'->'client-classes')::text THEN
			PERFORM lease4_ADEL_lease4_stat_by_client_class(old_state, old_user_context);
			PERFORM lease4_AINS_lease4_stat_by_client_class(new_state, new_user_context);
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION func_lease4_AINS() RETURNS trigger AS $$
	BEGIN
		PERFORM lease4_AINS_lease4_stat_by_client_class(NEW.state, NEW.user_context);
		PERFORM lease4_AINS_lease4_stat(NEW.state, NEW.subnet_id);
		RETURN NULL;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION func_lease4_AUPD() RETURNS trigger AS $$
	BEGIN
		PERFORM lease4_AUPD_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
		PERFORM lease4_AUPD_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
		RETURN NULL;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION func_lease4_ADEL() RETURNS trigger AS $$
	BEGIN
		PERFORM lease4_ADEL_lease4_stat_by_client_class(OLD.state, OLD.user_context);
		PERFORM lease4_ADEL_lease4_stat(OLD.state, OLD.subnet_id);
		RETURN NULL;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE TRIGGER lease4_AINS AFTER INSERT ON lease4 FOR EACH ROW EXECUTE PROCEDURE func_lease4_AINS()`,
	`CREATE TRIGGER lease4_AUPD AFTER UPDATE ON lease4 FOR EACH ROW EXECUTE PROCEDURE func_lease4_AUPD()`,
	`CREATE TRIGGER lease4_ADEL AFTER DELETE ON lease4 FOR EACH ROW EXECUTE PROCEDURE func_lease4_ADEL()`,

	`CREATE FUNCTION lease6_AINS_lease6_stat(new_state BIGINT, new_subnet_id BIGINT, new_lease_type SMALLINT) RETURNS VOID AS $$
	BEGIN
		IF new_state = 0 OR new_state = 1 THEN
			INSERT INTO lease6_stat VALUES (new_subnet_id, new_lease_type, new_state, 1)
				ON CONFLICT (subnet_id, lease_type, state) DO UPDATE SET leases = lease6_stat.leases + 1;
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease6_ADEL_lease6_stat(old_state BIGINT, old_subnet_id BIGINT, old_lease_type SMALLINT) RETURNS VOID AS $$
	BEGIN
		IF old_state = 0 OR old_state = 1 THEN
			UPDATE lease6_stat SET leases = GREATEST(leases - 1, 0)
				WHERE subnet_id = old_subnet_id AND lease_type = old_lease_type AND state = old_state;
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease6_AUPD_lease6_stat(old_state BIGINT, old_subnet_id BIGINT, old_lease_type SMALLINT,
		new_state BIGINT, new_subnet_id BIGINT, new_lease_type SMALLINT) RETURNS VOID AS $$
	BEGIN
		IF old_subnet_id != new_subnet_id OR old_lease_type != new_lease_type OR old_state != new_state THEN
			PERFORM lease6_ADEL_lease6_stat(old_state, old_subnet_id, old_lease_type);
			PERFORM lease6_AINS_lease6_stat(new_state, new_subnet_id, new_lease_type);
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease6_AINS_lease6_stat_by_client_class(new_state BIGINT, new_user_context TEXT,
		new_lease_type SMALLINT) RETURNS VOID AS $$
	BEGIN
		IF new_state = 0 THEN
			INSERT INTO lease6_stat_by_client_class
				SELECT c, new_lease_type, 1 FROM lessor_classes(new_user_context) AS c
				ON CONFLICT (client_class, lease_type) DO UPDATE
					SET leases = lease6_stat_by_client_class.leases + 1;
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease6_ADEL_lease6_stat_by_client_class(old_state BIGINT, old_user_context TEXT,
		old_lease_type SMALLINT) RETURNS VOID AS $$
	BEGIN
		IF old_state = 0 THEN
			UPDATE lease6_stat_by_client_class SET leases = GREATEST(leases - 1, 0)
				WHERE lease_type = old_lease_type
				AND client_class IN (SELECT c FROM lessor_classes(old_user_context) AS c);
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION lease6_AUPD_lease6_stat_by_client_class(old_state BIGINT, old_user_context TEXT,
		old_lease_type SMALLINT, new_state BIGINT, new_user_context TEXT, new_lease_type SMALLINT) RETURNS VOID AS $$
	BEGIN
		IF old_state != new_state OR old_lease_type != new_lease_type OR
			(json_cast(old_user_context)->'ISC'->'client-classes')::text IS DISTINCT FROM
			(json_cast(new_user_context)->'ISC'->'client-classes')::text THEN
			PERFORM lease6_ADEL_lease6_stat_by_client_class(old_state, old_user_context, old_lease_type);
			PERFORM lease6_AINS_lease6_stat_by_client_class(new_state, new_user_context, new_lease_type);
		END IF;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION func_lease6_AINS() RETURNS trigger AS $$
	BEGIN
		PERFORM lease6_AINS_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
		PERFORM lease6_AINS_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
		RETURN NULL;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION func_lease6_AUPD() RETURNS trigger AS $$
	BEGIN
		PERFORM lease6_AUPD_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type,
			NEW.state, NEW.user_context, NEW.lease_type);
		PERFORM lease6_AUPD_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type,
			NEW.state, NEW.subnet_id, NEW.lease_type);
		RETURN NULL;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION func_lease6_ADEL() RETURNS trigger AS $$
	BEGIN
		PERFORM lease6_ADEL_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
		PERFORM lease6_ADEL_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
		RETURN NULL;
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE TRIGGER lease6_AINS AFTER INSERT ON lease6 FOR EACH ROW EXECUTE PROCEDURE func_lease6_AINS()`,
	`CREATE TRIGGER lease6_AUPD AFTER UPDATE ON lease6 FOR EACH ROW EXECUTE PROCEDURE func_lease6_AUPD()`,
	`CREATE TRIGGER lease6_ADEL AFTER DELETE ON lease6 FOR EACH ROW EXECUTE PROCEDURE func_lease6_ADEL()`,

	// Lease limits (Kea's limits hook): an empty text when a new lease
	// fits the limits carried in its user context, else the reason.
	`CREATE FUNCTION checkLease4Limits(user_context TEXT) RETURNS TEXT AS $$
	DECLARE
		cls JSON;
		cname TEXT;
		sid BIGINT;
		lim BIGINT;
		cnt BIGINT;
	BEGIN
		FOR cls IN SELECT * FROM json_array_elements(json_cast(user_context)->'ISC'->'limits'->'client-classes') LOOP
			cname := cls->>'name';
			lim := (cls->>'address-limit')::BIGINT;
			IF lim IS NOT NULL THEN
				SELECT COALESCE((SELECT leases FROM lease4_stat_by_client_class WHERE client_class = cname), 0) INTO cnt;
				IF lim <= cnt THEN
					RETURN CONCAT('address limit ', lim, ' for client class "', cname, '", current lease count ', cnt);
				END IF;
			END IF;
		END LOOP;
		sid := (json_cast(user_context)->'ISC'->'limits'->'subnet'->>'id')::BIGINT;
		lim := (json_cast(user_context)->'ISC'->'limits'->'subnet'->>'address-limit')::BIGINT;
		IF lim IS NOT NULL THEN
			SELECT COALESCE((SELECT leases FROM lease4_stat WHERE subnet_id = sid AND state = 0), 0) INTO cnt;
			IF lim <= cnt THEN
				RETURN CONCAT('address limit ', lim, ' for subnet ID ', sid, ', current lease count ', cnt);
			END IF;
		END IF;
		RETURN '';
	END;
	$$ LANGUAGE plpgsql`,
	`CREATE FUNCTION checkLease6Limits(user_context TEXT) RETURNS TEXT AS $$
	DECLARE
		cls JSON;
		cname TEXT;
		sid BIGINT;
		lim BIGINT;
		cnt BIGINT;
	BEGIN
		FOR cls IN SELECT * FROM json_array_elements(json_cast(user_context)->'ISC'->'limits'->'client-classes') LOOP
			cname := cls->>'name';
			lim := (cls->>'address-limit')::BIGINT;
			IF lim IS NOT NULL THEN
				SELECT COALESCE((SELECT leases FROM lease6_stat_by_client_class
					WHERE client_class = cname AND lease_type = 0), 0) INTO cnt;
				IF lim <= cnt THEN
					RETURN CONCAT('address limit ', lim, ' for client class "', cname, '", current lease count ', cnt);
				END IF;
			END IF;
			lim := (cls->>'prefix-limit')::BIGINT;
			IF lim IS NOT NULL THEN
				SELECT COALESCE((SELECT leases FROM lease6_stat_by_client_class
					WHERE client_class = cname AND lease_type = 2), 0) INTO cnt;
				IF lim <= cnt THEN
					RETURN CONCAT('prefix limit ', lim, ' for client class "', cname, '", current lease count ', cnt);
				END IF;
			END IF;
		END LOOP;
		sid := (json_cast(user_context)->'ISC'->'limits'->'subnet'->>'id')::BIGINT;
		lim := (json_cast(user_context)->'ISC'->'limits'->'subnet'->>'address-limit')::BIGINT;
		IF lim IS NOT NULL THEN
			SELECT COALESCE((SELECT leases FROM lease6_stat
				WHERE subnet_id = sid AND lease_type = 0 AND state = 0), 0) INTO cnt;
			IF lim <= cnt THEN
				RETURN CONCAT('address limit ', lim, ' for subnet ID ', sid, ', current lease count ', cnt);
			END IF;
		END IF;
		lim := (json_cast(user_context)->'ISC'->'limits'->'subnet'->>'prefix-limit')::BIGINT;
		IF lim IS NOT NULL THEN
			SELECT COALESCE((SELECT leases FROM lease6_stat
				WHERE subnet_id = sid AND lease_type = 2 AND state = 0), 0) INTO cnt;
			IF lim <= cnt THEN
				RETURN CONCAT('prefix limit ', lim, ' for subnet ID ', sid, ', current lease count ', cnt);
			END IF;
		END IF;
		RETURN '';
	END;
	$$ LANGUAGE plpgsql`,

	// lease-dump helpers (kea-admin lease-dump pgsql).
	`CREATE FUNCTION colonSeparatedHex(hex TEXT) RETURNS TEXT AS $$
		SELECT COALESCE(string_agg(substr(h, i, 2), ':' ORDER BY i), '')
		FROM (SELECT CASE WHEN length(hex) % 2 = 1 THEN '0' || hex ELSE hex END AS h) AS p,
			generate_series(1, length(hex), 2) AS i
		WHERE i <= length(h);
	$$ LANGUAGE sql`,
	`CREATE FUNCTION lease4DumpHeader() RETURNS TEXT AS $$
		SELECT CAST('address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context' AS TEXT);
	$$ LANGUAGE sql`,
	`CREATE FUNCTION lease4DumpData() RETURNS TABLE (address INET, hwaddr VARCHAR, client_id VARCHAR,
		valid_lifetime BIGINT, expire BIGINT, subnet_id BIGINT, fqdn_fwd INT, fqdn_rev INT,
		hostname VARCHAR, state BIGINT, user_context VARCHAR) AS $$
		SELECT ('0.0.0.0'::inet + l.address), colonSeparatedHex(encode(l.hwaddr, 'hex')),
			colonSeparatedHex(encode(l.client_id, 'hex')), l.valid_lifetime,
			extract(epoch from l.expire)::bigint, l.subnet_id, l.fqdn_fwd::int, l.fqdn_rev::int,
			replace(l.hostname, ',', '&#x2c'), l.state, replace(l.user_context, ',', '&#x2c')
		FROM lease4 AS l ORDER BY l.address;
	$$ LANGUAGE sql`,
	`CREATE FUNCTION lease6DumpHeader() RETURNS TEXT AS $$
		SELECT CAST('address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source' AS TEXT);
	$$ LANGUAGE sql`,
	`CREATE FUNCTION lease6DumpData() RETURNS TABLE (address VARCHAR, duid VARCHAR, valid_lifetime BIGINT,
		expire BIGINT, subnet_id BIGINT, pref_lifetime BIGINT, lease_type SMALLINT, iaid INT,
		prefix_len SMALLINT, fqdn_fwd INT, fqdn_rev INT, hostname VARCHAR, hwaddr VARCHAR,
		state BIGINT, user_context VARCHAR, hwtype SMALLINT, hwaddr_source SMALLINT) AS $$
		SELECT l.address, colonSeparatedHex(encode(l.duid, 'hex')), l.valid_lifetime,
			extract(epoch from l.expire)::bigint, l.subnet_id, l.pref_lifetime, l.lease_type, l.iaid,
			l.prefix_len, l.fqdn_fwd::int, l.fqdn_rev::int, replace(l.hostname, ',', '&#x2c'),
			colonSeparatedHex(encode(l.hwaddr, 'hex')), l.state, replace(l.user_context, ',', '&#x2c'),
			l.hwtype, l.hwaddr_source
		FROM lease6 AS l ORDER BY l.address;
	$$ LANGUAGE sql`,

	`CREATE TABLE schema_version (
		version INT PRIMARY KEY NOT NULL,
		minor INT)`,
	`INSERT INTO schema_version VALUES (13, 0)`,
}
