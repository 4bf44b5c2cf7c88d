/*
 * A small drive database in smartmontools' drivedb.h syntax, for tests.
 */
const drive_settings builtin_knowndrives[] = {
  { "$Id: drivedb.h test $",
    "-", "-",
    "Version information",
    ""
  },
  { "DEFAULT",
    "-", "-",
    "Default settings",
    "-v 1,raw48,Raw_Read_Error_Rate "
    "-v 9,raw24(raw8),Power_On_Hours"
  },
  { "Samsung based SSDs",
    "Samsung SSD 8[67]0 (EVO|PRO) .*|" // tested with Samsung SSD 870 EVO 1TB/SVT02B6Q
    "SAMSUNG MZ7LH(240|480|960)HAHQ-.*",
    "", "",
    "-v 177,raw48,Wear_Leveling_Count "
    "-v 235,raw48,POR_Recovery_Count "
    "-v 241,raw48,Total_LBAs_Written"
  },
  { "Example firmware-specific family",
    "EXAMPLE DRIVE [0-9]+",
    "FW1\\.0", // only this firmware
    "Firmware \"FW1.0\" loses data, update it",
    "-v 9,min2hour,Power_On_Minutes -F samsung"
  },
  { "USB: Example bridge", "0x1234:0x5678", "", "", "-d sat" },
};
