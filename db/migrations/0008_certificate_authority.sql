CREATE TABLE "certificate_authorities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"subject" text NOT NULL,
	"serial_number" text NOT NULL,
	"certificate" "bytea" NOT NULL,
	"encrypted_private_key" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"crl_number" bigint,
	"crl" "bytea",
	"crl_this_update" timestamp with time zone,
	"crl_next_update" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "certificate_authorities_name_ck" CHECK ("certificate_authorities"."name" in ('root', 'issuing')),
	CONSTRAINT "certificate_authorities_crl_ck" CHECK (("certificate_authorities"."name" = 'root' and "certificate_authorities"."crl_number" is null and "certificate_authorities"."crl" is null and "certificate_authorities"."crl_this_update" is null and "certificate_authorities"."crl_next_update" is null)
        or ("certificate_authorities"."name" = 'issuing' and "certificate_authorities"."crl_number" > 0 and "certificate_authorities"."crl" is not null and "certificate_authorities"."crl_next_update" > "certificate_authorities"."crl_this_update"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "certificate_authorities_name_uq" ON "certificate_authorities" USING btree ("name");--> statement-breakpoint
-- RFC 5280 §5.2.3: a CA's CRL numbers only grow. Refused here too, so no code path can go back.
CREATE FUNCTION certificate_authorities_crl_number_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.crl_number IS NOT NULL AND (NEW.crl_number IS NULL OR NEW.crl_number <= OLD.crl_number)
     AND NEW.crl IS DISTINCT FROM OLD.crl THEN
    RAISE EXCEPTION 'the CRL number of CA % must grow (was %, given %)', OLD.name, OLD.crl_number, NEW.crl_number;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER certificate_authorities_crl_number_grows BEFORE UPDATE ON certificate_authorities
  FOR EACH ROW EXECUTE FUNCTION certificate_authorities_crl_number_grows();
