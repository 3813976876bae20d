DROP INDEX "identity_documents_check_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "identity_documents_check_number_uq" ON "identity_documents" USING btree ("check_id","number_hash");