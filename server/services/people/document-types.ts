/** What a document proves: e-GIF level 3 wants a photo ID and a proof of address among three. */
export const documentCategories = ['photo_id', 'proof_of_address', 'other'] as const;
export type DocumentCategory = (typeof documentCategories)[number];

/** The documents an RA accepts as seen in person (e-GIF level 3), and what each proves. */
export const documentTypes = {
  passport: { category: 'photo_id', label: 'Passport' },
  photocard_driving_licence: { category: 'photo_id', label: 'Photocard driving licence' },
  biometric_residence_permit: { category: 'photo_id', label: 'Biometric residence permit' },
  armed_forces_id: { category: 'photo_id', label: 'Armed forces ID card' },
  pass_card: { category: 'photo_id', label: 'PASS card' },
  national_identity_card: { category: 'photo_id', label: 'National identity card (EEA)' },
  utility_bill: { category: 'proof_of_address', label: 'Utility bill' },
  bank_statement: { category: 'proof_of_address', label: 'Bank or building society statement' },
  council_tax_bill: { category: 'proof_of_address', label: 'Council tax bill' },
  mortgage_statement: { category: 'proof_of_address', label: 'Mortgage statement' },
  hmrc_letter: { category: 'proof_of_address', label: 'HMRC tax notification' },
  tenancy_agreement: { category: 'proof_of_address', label: 'Tenancy agreement' },
  birth_certificate: { category: 'other', label: 'Birth certificate' },
  marriage_certificate: { category: 'other', label: 'Marriage or civil partnership certificate' },
  paper_driving_licence: { category: 'other', label: 'Paper driving licence' },
  p45_p60: { category: 'other', label: 'P45 or P60' },
  employment_letter: { category: 'other', label: 'Letter of employment' },
} as const;

export type DocumentType = keyof typeof documentTypes;
export const documentTypeNames = Object.keys(documentTypes) as [DocumentType, ...DocumentType[]];

/** Every document type, in the order above (photo IDs, proofs of address, others). */
export function listDocumentTypes(): {
  type: DocumentType;
  label: string;
  category: DocumentCategory;
}[] {
  return documentTypeNames.map((type) => ({ type, ...documentTypes[type] }));
}
