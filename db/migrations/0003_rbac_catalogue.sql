-- The national RBAC catalogue's seed list (DOMAIN.md). Reference data, so it ships with the
-- schema and every database, embedded or PostgreSQL, starts with it.
INSERT INTO job_roles (code, name) VALUES
  ('R8000', 'Clinical Practitioner Access Role'),
  ('R8001', 'Nurse Access Role'),
  ('R8002', 'Nurse Manager Access Role'),
  ('R8003', 'Health Professional Access Role'),
  ('R8004', 'Healthcare Student Access Role'),
  ('R8006', 'Medical Secretary Access Role'),
  ('R8007', 'Clinical Coder Access Role'),
  ('R8008', 'Admin/Clinical Support Access Role'),
  ('R8009', 'Receptionist Access Role'),
  ('R8010', 'Clerical Access Role'),
  ('R8011', 'Clerical Manager Access Role'),
  ('R8012', 'Information Officer Access Role'),
  ('R8013', 'Health Records Manager Access Role'),
  ('R8015', 'Systems Support Access Role'),
  ('R8016', 'Midwife Access Role'),
  ('R8024', 'Bank Access Role'),
  ('R0001', 'Privacy Officer'),
  ('R5105', 'Caldicott Guardian'),
  ('R5080', 'Registration Authority Manager'),
  ('R5090', 'Registration Authority Agent');
--> statement-breakpoint
INSERT INTO activities (code, name) VALUES
  ('B0825', 'Amend Patient Demographics'),
  ('B1300', 'Approve RA Requests'),
  ('B0267', 'RA ID Checker'),
  ('B1101', 'Manage Outbound Referrals'),
  ('B1103', 'Manage Outbound Appointments'),
  ('B1110', 'Manage Inbound Referrals'),
  ('B1120', 'Manage Inbound Appointments'),
  ('B1107', 'Maintain Service Configurations and Workgroups'),
  ('B0163', 'Access PbR Extracts'),
  ('B1505', 'Access SEM Extracts'),
  ('B0380', 'Perform Detailed Health Record'),
  ('B0083', 'Gain Temporary Access to Patient Sealed Data'),
  ('B0062', 'Local System Administration'),
  ('B1700', 'Local System Configuration');
