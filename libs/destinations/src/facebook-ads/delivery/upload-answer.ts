/** What /users and /usersreplace answer (the fields the sink reads). */
export interface UploadAnswer {
  num_received?: number;
  num_invalid_entries?: number;
}
