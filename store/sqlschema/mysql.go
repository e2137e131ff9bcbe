package sqlschema

// MySQL schema version that Kea 2.2 requires and lessor creates.
const (
	MySQLMajor = 14
	MySQLMinor = 0
)

func mysqlColumn(table, column string) string {
	return `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '` +
		table + `' AND column_name = '` + column + `'`
}

// MySQLAdditions are lessor's objects on top of Kea's schema (Kea names
// the columns of its statements, so it ignores them): lessor's numeric
// lease6 address key, a virtual column and its index, so that pages walk
// lease6 in numeric address order through an index although Kea 2.2 keeps
// the address as text; and a lessor_seq column on each lease table that
// records the order in which leases were added, for memfile's order of
// secondary lookups.
var MySQLAdditions = []Addition{
	{Name: "lease6 numeric address column", Exists: mysqlColumn("lease6", "lessor_binaddr"),
		DDL: `ALTER TABLE lease6
			ADD COLUMN lessor_binaddr VARBINARY(16) AS (INET6_ATON(address)) VIRTUAL,
			ADD INDEX lessor_lease6_by_binaddr (lessor_binaddr)`},
	{Name: "lease4 order column", Exists: mysqlColumn("lease4", "lessor_seq"),
		DDL: `ALTER TABLE lease4 ADD COLUMN lessor_seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
			ADD UNIQUE INDEX lessor_lease4_seq (lessor_seq)`},
	{Name: "lease6 order column", Exists: mysqlColumn("lease6", "lessor_seq"),
		DDL: `ALTER TABLE lease6 ADD COLUMN lessor_seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
			ADD UNIQUE INDEX lessor_lease6_seq (lessor_seq)`},
}

// mysqlClassLoop expands to a loop over the client classes of a user
// context (variable ctx), running body with the class name in cname.
func mysqlClassLoop(ctx, body string) string {
	return `IF ` + ctx + ` IS NOT NULL AND JSON_VALID(` + ctx + `) THEN
		SET classes = JSON_EXTRACT(` + ctx + `, '$."ISC"."client-classes"');
		IF classes IS NOT NULL AND JSON_TYPE(classes) = 'ARRAY' THEN
			SET n = JSON_LENGTH(classes);
			SET i = 0;
			WHILE i < n DO
				SET cname = JSON_UNQUOTE(JSON_EXTRACT(classes, CONCAT('$[', i, ']')));
				` + body + `
				SET i = i + 1;
			END WHILE;
		END IF;
	END IF;`
}

const mysqlClassDecl = `DECLARE classes TEXT;
	DECLARE cname VARCHAR(255);
	DECLARE n INT;
	DECLARE i INT;`

// MySQL is the statement list that creates the lease part of Kea 2.2's
// MySQL schema 14.0 (see PgSQL). Each element is one statement; routine
// bodies contain semicolons, so they must be sent one at a time.
var MySQL = []string{
	`CREATE TABLE lease_state (
		state INT UNSIGNED PRIMARY KEY NOT NULL,
		name VARCHAR(64) NOT NULL) ENGINE = INNODB`,
	`INSERT INTO lease_state VALUES (0, 'default'), (1, 'declined'), (2, 'expired-reclaimed')`,
	`CREATE TABLE lease6_types (
		lease_type TINYINT PRIMARY KEY NOT NULL,
		name VARCHAR(5)) ENGINE = INNODB`,
	`INSERT INTO lease6_types VALUES (0, 'IA_NA'), (1, 'IA_TA'), (2, 'IA_PD')`,
	`CREATE TABLE lease_hwaddr_source (
		hwaddr_source INT UNSIGNED PRIMARY KEY NOT NULL,
		name VARCHAR(40) DEFAULT NULL) ENGINE = INNODB`,
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
		address INT UNSIGNED PRIMARY KEY NOT NULL,
		hwaddr VARBINARY(20),
		client_id VARBINARY(128),
		valid_lifetime INT UNSIGNED,
		expire TIMESTAMP NULL DEFAULT NULL,
		subnet_id INT UNSIGNED,
		fqdn_fwd BOOL,
		fqdn_rev BOOL,
		hostname VARCHAR(255),
		state INT UNSIGNED DEFAULT 0,
		user_context TEXT,
		KEY lease4_by_hwaddr_subnet_id (hwaddr, subnet_id),
		KEY lease4_by_client_id_subnet_id (client_id, subnet_id),
		KEY lease4_by_subnet_id (subnet_id),
		KEY lease4_by_hostname (hostname),
		KEY lease4_by_expire_state (expire, state),
		CONSTRAINT fk_lease4_state FOREIGN KEY (state) REFERENCES lease_state (state)
	) ENGINE = INNODB`,
	`CREATE TABLE lease6 (
		address VARCHAR(39) PRIMARY KEY NOT NULL,
		duid VARBINARY(128),
		valid_lifetime INT UNSIGNED,
		expire TIMESTAMP NULL DEFAULT NULL,
		subnet_id INT UNSIGNED,
		pref_lifetime INT UNSIGNED,
		lease_type TINYINT,
		iaid INT UNSIGNED,
		prefix_len TINYINT UNSIGNED,
		fqdn_fwd BOOL,
		fqdn_rev BOOL,
		hostname VARCHAR(255),
		hwaddr VARBINARY(20),
		hwtype SMALLINT UNSIGNED,
		hwaddr_source INT UNSIGNED,
		state INT UNSIGNED DEFAULT 0,
		user_context TEXT,
		KEY lease6_by_subnet_id_lease_type (subnet_id, lease_type),
		KEY lease6_by_duid_iaid_subnet_id (duid, iaid, subnet_id),
		KEY lease6_by_hostname (hostname),
		KEY lease6_by_expire_state (expire, state),
		CONSTRAINT fk_lease6_type FOREIGN KEY (lease_type) REFERENCES lease6_types (lease_type),
		CONSTRAINT fk_lease6_hwaddr_source FOREIGN KEY (hwaddr_source)
			REFERENCES lease_hwaddr_source (hwaddr_source),
		CONSTRAINT fk_lease6_state FOREIGN KEY (state) REFERENCES lease_state (state)
	) ENGINE = INNODB`,
	MySQLAdditions[0].DDL,
	MySQLAdditions[1].DDL,
	MySQLAdditions[2].DDL,

	`CREATE TABLE lease4_stat (
		subnet_id INT UNSIGNED NOT NULL,
		state INT UNSIGNED NOT NULL,
		leases BIGINT,
		PRIMARY KEY (subnet_id, state)) ENGINE = INNODB`,
	`CREATE TABLE lease6_stat (
		subnet_id INT UNSIGNED NOT NULL,
		lease_type INT UNSIGNED NOT NULL,
		state INT UNSIGNED NOT NULL,
		leases BIGINT,
		PRIMARY KEY (subnet_id, lease_type, state)) ENGINE = INNODB`,
	`CREATE TABLE lease4_stat_by_client_class (
		client_class VARCHAR(128) NOT NULL PRIMARY KEY,
		leases BIGINT UNSIGNED NOT NULL) ENGINE = INNODB`,
	`CREATE TABLE lease6_stat_by_client_class (
		client_class VARCHAR(128) NOT NULL,
		lease_type TINYINT NOT NULL,
		leases BIGINT UNSIGNED NOT NULL,
		PRIMARY KEY (client_class, lease_type),
		CONSTRAINT fk_lease6_stat_by_client_class_lease_type FOREIGN KEY (lease_type)
			REFERENCES lease6_types (lease_type)) ENGINE = INNODB`,

	`CREATE FUNCTION isJsonSupported() RETURNS BOOL DETERMINISTIC
	BEGIN
		DECLARE dummy BOOL;
		DECLARE CONTINUE HANDLER FOR SQLEXCEPTION RETURN FALSE;
		SELECT JSON_EXTRACT('{"a": 1}', '$.a') INTO dummy;
		RETURN TRUE;
	END`,

	`CREATE PROCEDURE lease4_AINS_lease4_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED)
	BEGIN
		IF new_state = 0 OR new_state = 1 THEN
			INSERT INTO lease4_stat VALUES (new_subnet_id, new_state, 1)
				ON DUPLICATE KEY UPDATE leases = leases + 1;
		END IF;
	END`,
	`CREATE PROCEDURE lease4_ADEL_lease4_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED)
	BEGIN
		IF old_state = 0 OR old_state = 1 THEN
			UPDATE lease4_stat SET leases = IF(leases > 0, leases - 1, 0)
				WHERE subnet_id = old_subnet_id AND state = old_state;
		END IF;
	END`,
	`CREATE PROCEDURE lease4_AUPD_lease4_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
		IN new_state TINYINT, IN new_subnet_id INT UNSIGNED)
	BEGIN
		IF old_subnet_id != new_subnet_id OR old_state != new_state THEN
			CALL lease4_ADEL_lease4_stat(old_state, old_subnet_id);
			CALL lease4_AINS_lease4_stat(new_state, new_subnet_id);
		END IF;
	END`,
	`CREATE PROCEDURE lease4_AINS_lease4_stat_by_client_class(IN new_state TINYINT, IN new_user_context TEXT)
	BEGIN
	` + mysqlClassDecl + `
		IF new_state = 0 THEN
		` + mysqlClassLoop("new_user_context", `INSERT INTO lease4_stat_by_client_class VALUES (cname, 1)
					ON DUPLICATE KEY UPDATE leases = leases + 1;`) + `
		END IF;
	END`,
	`CREATE PROCEDURE lease4_ADEL_lease4_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT)
	BEGIN
	` + mysqlClassDecl + `
		IF old_state = 0 THEN
		` + mysqlClassLoop("old_user_context", `UPDATE lease4_stat_by_client_class
					SET leases = IF(leases > 0, leases - 1, 0) WHERE client_class = cname;`) + `
		END IF;
	END`,
	`CREATE PROCEDURE lease4_AUPD_lease4_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
		IN new_state TINYINT, IN new_user_context TEXT)
	BEGIN
		IF old_state != new_state OR NOT (
			(IF(JSON_VALID(old_user_context), JSON_EXTRACT(old_user_context, '$."ISC"."client-classes"'), NULL)
			<=> IF(JSON_VALID(new_user_context), JSON_EXTRACT(new_user_context, '$."ISC"."client-classes"'), NULL))) THEN
			CALL lease4_ADEL_lease4_stat_by_client_class(old_state, old_user_context);
			CALL lease4_AINS_lease4_stat_by_client_class(new_state, new_user_context);
		END IF;
	END`,
	`CREATE TRIGGER lease4_AINS AFTER INSERT ON lease4 FOR EACH ROW
	BEGIN
		CALL lease4_AINS_lease4_stat(NEW.state, NEW.subnet_id);
		CALL lease4_AINS_lease4_stat_by_client_class(NEW.state, NEW.user_context);
	END`,
	`CREATE TRIGGER lease4_AUPD AFTER UPDATE ON lease4 FOR EACH ROW
	BEGIN
		CALL lease4_AUPD_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
		CALL lease4_AUPD_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
	END`,
	`CREATE TRIGGER lease4_ADEL AFTER DELETE ON lease4 FOR EACH ROW
	BEGIN
		CALL lease4_ADEL_lease4_stat(OLD.state, OLD.subnet_id);
		CALL lease4_ADEL_lease4_stat_by_client_class(OLD.state, OLD.user_context);
	END`,

	`CREATE PROCEDURE lease6_AINS_lease6_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED,
		IN new_lease_type TINYINT)
	BEGIN
		IF new_state = 0 OR new_state = 1 THEN
			INSERT INTO lease6_stat VALUES (new_subnet_id, new_lease_type, new_state, 1)
				ON DUPLICATE KEY UPDATE leases = leases + 1;
		END IF;
	END`,
	`CREATE PROCEDURE lease6_ADEL_lease6_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
		IN old_lease_type TINYINT)
	BEGIN
		IF old_state = 0 OR old_state = 1 THEN
			UPDATE lease6_stat SET leases = IF(leases > 0, leases - 1, 0)
				WHERE subnet_id = old_subnet_id AND lease_type = old_lease_type AND state = old_state;
		END IF;
	END`,
	`CREATE PROCEDURE lease6_AUPD_lease6_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
		IN old_lease_type TINYINT, IN new_state TINYINT, IN new_subnet_id INT UNSIGNED, IN new_lease_type TINYINT)
	BEGIN
		IF old_subnet_id != new_subnet_id OR old_lease_type != new_lease_type OR old_state != new_state THEN
			CALL lease6_ADEL_lease6_stat(old_state, old_subnet_id, old_lease_type);
			CALL lease6_AINS_lease6_stat(new_state, new_subnet_id, new_lease_type);
		END IF;
	END`,
	`CREATE PROCEDURE lease6_AINS_lease6_stat_by_client_class(IN new_state TINYINT, IN new_user_context TEXT,
		IN new_lease_type TINYINT)
	BEGIN
	` + mysqlClassDecl + `
		IF new_state = 0 THEN
		` + mysqlClassLoop("new_user_context", `INSERT INTO lease6_stat_by_client_class VALUES (cname, new_lease_type, 1)
					ON DUPLICATE KEY UPDATE leases = leases + 1;`) + `
		END IF;
	END`,
	`CREATE PROCEDURE lease6_ADEL_lease6_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
		IN old_lease_type TINYINT)
	BEGIN
	` + mysqlClassDecl + `
		IF old_state = 0 THEN
		` + mysqlClassLoop("old_user_context", `UPDATE lease6_stat_by_client_class
					SET leases = IF(leases > 0, leases - 1, 0)
					WHERE client_class = cname AND lease_type = old_lease_type;`) + `
		END IF;
	END`,
	`CREATE PROCEDURE lease6_AUPD_lease6_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
		IN old_lease_type TINYINT, IN new_state TINYINT, IN new_user_context TEXT, IN new_lease_type TINYINT)
	BEGIN
		IF old_state != new_state OR old_lease_type != new_lease_type OR NOT (
			(IF(JSON_VALID(old_user_context), JSON_EXTRACT(old_user_context, '$."ISC"."client-classes"'), NULL)
			<=> IF(JSON_VALID(new_user_context), JSON_EXTRACT(new_user_context, '$."ISC"."client-classes"'), NULL))) THEN
			CALL lease6_ADEL_lease6_stat_by_client_class(old_state, old_user_context, old_lease_type);
			CALL lease6_AINS_lease6_stat_by_client_class(new_state, new_user_context, new_lease_type);
		END IF;
	END`,
	`CREATE TRIGGER lease6_AINS AFTER INSERT ON lease6 FOR EACH ROW
	BEGIN
		CALL lease6_AINS_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
		CALL lease6_AINS_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
	END`,
	`CREATE TRIGGER lease6_AUPD AFTER UPDATE ON lease6 FOR EACH ROW
	BEGIN
		CALL lease6_AUPD_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type,
			NEW.state, NEW.subnet_id, NEW.lease_type);
		CALL lease6_AUPD_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type,
			NEW.state, NEW.user_context, NEW.lease_type);
	END`,
	`CREATE TRIGGER lease6_ADEL AFTER DELETE ON lease6 FOR EACH ROW
	BEGIN
		CALL lease6_ADEL_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
		CALL lease6_ADEL_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
	END`,

	`CREATE FUNCTION checkLease4Limits(user_context TEXT) RETURNS TEXT READS SQL DATA
	BEGIN
		DECLARE classes TEXT;
		DECLARE cls TEXT;
		DECLARE cname VARCHAR(255);
		DECLARE n INT;
		DECLARE i INT;
		DECLARE sid BIGINT;
		DECLARE lim BIGINT;
		DECLARE cnt BIGINT;
		SET classes = JSON_EXTRACT(user_context, '$."ISC"."limits"."client-classes"');
		SET n = IFNULL(JSON_LENGTH(classes), 0);
		SET i = 0;
		WHILE i < n DO
			SET cls = JSON_EXTRACT(classes, CONCAT('$[', i, ']'));
			SET cname = JSON_UNQUOTE(JSON_EXTRACT(cls, '$.name'));
			SET lim = JSON_EXTRACT(cls, '$."address-limit"');
			IF lim IS NOT NULL THEN
				SET cnt = IFNULL((SELECT leases FROM lease4_stat_by_client_class WHERE client_class = cname), 0);
				IF lim <= cnt THEN
					RETURN CONCAT('address limit ', lim, ' for client class "', cname, '", current lease count ', cnt);
				END IF;
			END IF;
			SET i = i + 1;
		END WHILE;
		SET sid = JSON_EXTRACT(user_context, '$."ISC"."limits"."subnet"."id"');
		SET lim = JSON_EXTRACT(user_context, '$."ISC"."limits"."subnet"."address-limit"');
		IF lim IS NOT NULL THEN
			SET cnt = IFNULL((SELECT leases FROM lease4_stat WHERE subnet_id = sid AND state = 0), 0);
			IF lim <= cnt THEN
				RETURN CONCAT('address limit ', lim, ' for subnet ID ', sid, ', current lease count ', cnt);
			END IF;
		END IF;
		RETURN '';
	END`,
	`CREATE FUNCTION checkLease6Limits(user_context TEXT) RETURNS TEXT READS SQL DATA
	BEGIN
		DECLARE classes TEXT;
		DECLARE cls TEXT;
		DECLARE cname VARCHAR(255);
		DECLARE n INT;
		DECLARE i INT;
		DECLARE sid BIGINT;
		DECLARE lim BIGINT;
		DECLARE cnt BIGINT;
		SET classes = JSON_EXTRACT(user_context, '$."ISC"."limits"."client-classes"');
		SET n = IFNULL(JSON_LENGTH(classes), 0);
		SET i = 0;
		WHILE i < n DO
			SET cls = JSON_EXTRACT(classes, CONCAT('$[', i, ']'));
			SET cname = JSON_UNQUOTE(JSON_EXTRACT(cls, '$.name'));
			SET lim = JSON_EXTRACT(cls, '$."address-limit"');
			IF lim IS NOT NULL THEN
				SET cnt = IFNULL((SELECT leases FROM lease6_stat_by_client_class
					WHERE client_class = cname AND lease_type = 0), 0);
				IF lim <= cnt THEN
					RETURN CONCAT('address limit ', lim, ' for client class "', cname, '", current lease count ', cnt);
				END IF;
			END IF;
			SET lim = JSON_EXTRACT(cls, '$."prefix-limit"');
			IF lim IS NOT NULL THEN
				SET cnt = IFNULL((SELECT leases FROM lease6_stat_by_client_class
					WHERE client_class = cname AND lease_type = 2), 0);
				IF lim <= cnt THEN
					RETURN CONCAT('prefix limit ', lim, ' for client class "', cname, '", current lease count ', cnt);
				END IF;
			END IF;
			SET i = i + 1;
		END WHILE;
		SET sid = JSON_EXTRACT(user_context, '$."ISC"."limits"."subnet"."id"');
		SET lim = JSON_EXTRACT(user_context, '$."ISC"."limits"."subnet"."address-limit"');
		IF lim IS NOT NULL THEN
			SET cnt = IFNULL((SELECT leases FROM lease6_stat
				WHERE subnet_id = sid AND lease_type = 0 AND state = 0), 0);
			IF lim <= cnt THEN
				RETURN CONCAT('address limit ', lim, ' for subnet ID ', sid, ', current lease count ', cnt);
			END IF;
		END IF;
		SET lim = JSON_EXTRACT(user_context, '$."ISC"."limits"."subnet"."prefix-limit"');
		IF lim IS NOT NULL THEN
			SET cnt = IFNULL((SELECT leases FROM lease6_stat
				WHERE subnet_id = sid AND lease_type = 2 AND state = 0), 0);
			IF lim <= cnt THEN
				RETURN CONCAT('prefix limit ', lim, ' for subnet ID ', sid, ', current lease count ', cnt);
			END IF;
		END IF;
		RETURN '';
	END`,

	// lease-dump helpers (kea-admin lease-dump mysql).
	`CREATE FUNCTION colonSeparatedHex(hex TEXT) RETURNS TEXT DETERMINISTIC
	BEGIN
		DECLARE out_text TEXT DEFAULT '';
		DECLARE i INT DEFAULT 1;
		IF hex IS NULL OR hex = '' THEN
			RETURN '';
		END IF;
		IF LENGTH(hex) % 2 = 1 THEN
			SET hex = CONCAT('0', hex);
		END IF;
		WHILE i <= LENGTH(hex) DO
			IF i > 1 THEN
				SET out_text = CONCAT(out_text, ':');
			END IF;
			SET out_text = CONCAT(out_text, SUBSTR(hex, i, 2));
			SET i = i + 2;
		END WHILE;
		RETURN LOWER(out_text);
	END`,
	`CREATE PROCEDURE lease4DumpHeader()
	BEGIN
		SELECT 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context';
	END`,
	`CREATE PROCEDURE lease4DumpData()
	BEGIN
		SELECT INET_NTOA(address), colonSeparatedHex(HEX(hwaddr)), colonSeparatedHex(HEX(client_id)),
			valid_lifetime, UNIX_TIMESTAMP(expire), subnet_id, fqdn_fwd, fqdn_rev,
			REPLACE(hostname, ',', '&#x2c'), state, REPLACE(IFNULL(user_context, ''), ',', '&#x2c')
		FROM lease4 ORDER BY address;
	END`,
	`CREATE PROCEDURE lease6DumpHeader()
	BEGIN
		SELECT 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source';
	END`,
	`CREATE PROCEDURE lease6DumpData()
	BEGIN
		SELECT address, colonSeparatedHex(HEX(duid)), valid_lifetime, UNIX_TIMESTAMP(expire),
			subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev,
			REPLACE(hostname, ',', '&#x2c'), colonSeparatedHex(HEX(hwaddr)), state,
			REPLACE(IFNULL(user_context, ''), ',', '&#x2c'), hwtype, hwaddr_source
		FROM lease6 ORDER BY address;
	END`,

	`CREATE TABLE schema_version (
		version INT PRIMARY KEY NOT NULL,
		minor INT) ENGINE = INNODB`,
	`INSERT INTO schema_version VALUES (14, 0)`,
}
